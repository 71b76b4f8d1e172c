"""Ingestion throughput end to end (chunk, hash check, embed, COPY, outbox) vs embedding alone.

Documents: 200 Markdown documents of three sections each, built from the sentences of PIAF's
Service-Public.fr passages (MIT, ../shared/data) or, without it, from our shop FAQ passages. The
embedding-alone rate is measured on exactly the chunk texts the pipeline produces, with the text cache
off in both. Rounds alternate the order of the two (fresh document keys each round, so every pipeline
run writes everything); the overhead is the median over rounds of 1 - embed time / pipeline time.
Because a shared 2-core machine makes wall times swing between runs, each pipeline run also reports
the share of its own wall time not spent waiting for embeddings (same run, so load affects both).

    .venv/bin/python -m bench.rag_ingest [--docs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import bench_database, bench_settings, write_result
from libs.common.db import create_pool
from services.rag.config import RagSettings
from services.rag.loaders import SourceDocument
from services.rag.runtime import RagRuntime, load_embedder, open_runtime

DATA = Path(__file__).parent / "data"
PIAF = Path(__file__).resolve().parents[2] / "shared" / "data" / "piaf-spf-qr-test.json"


def sentences() -> list[str]:
    if PIAF.exists():
        data = json.loads(PIAF.read_text(encoding="utf-8"))["data"]
        texts = [p["context"] for a in data for p in a["paragraphs"]]
    else:
        texts = [json.loads(line)["text"] for line in (DATA / "rag_eval_passages.jsonl").read_text().splitlines()]
    found = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+|\n+", t)]
    return [s for s in found if len(s.split()) >= 4]


def documents(count: int, run: int = 0) -> list[SourceDocument]:
    rng = random.Random(3)
    pool = sentences()
    docs = []
    for i in range(count):
        sections = [f"## Section {j}\n\n" + " ".join(rng.sample(pool, 3)) for j in range(3)]
        text = f"# Document {i}\n\n" + "\n\n".join(sections)
        docs.append(SourceDocument(doc_key=f"bench-{run}-{i}", source=f"bench/{run}/{i}.md", text=text,
                                   format="markdown", category="bench"))
    return docs


async def run(count: int, rounds: int) -> dict[str, Any]:
    docs = documents(count)
    rag = RagSettings(cache_size=0)
    async with bench_database() as dsn:
        settings = bench_settings(dsn)
        pool = await create_pool(settings)
        embedder = load_embedder(rag, settings)
        rt = await open_runtime(settings, pool, rag, embedder=embedder)
        try:
            chunks = [c for d in docs for c in rt.ingestor.prepare(d).chunks]
            embedder.embed(chunks)  # warm-up
            embed_runs: list[float] = []
            pipeline_runs: list[float] = []
            shares: list[float] = []
            # interleaved rounds with fresh document keys (same texts), so a busy machine hits both alike
            # the order alternates (A B, B A, …) so a machine getting busier or quieter favours neither
            for run_no in range(rounds):
                if run_no % 2:
                    pipeline_runs.append(await _pipeline(rt, count, run_no, shares))
                    embed_runs.append(_timed(lambda: embedder.embed(chunks)))
                else:
                    embed_runs.append(_timed(lambda: embedder.embed(chunks)))
                    pipeline_runs.append(await _pipeline(rt, count, run_no, shares))
        finally:
            await rt.close()
            await pool.close()
    written = len(chunks)
    embed_rate = len(chunks) / float(np.median(embed_runs))
    pipeline_rate = written / float(np.median(pipeline_runs))
    per_round = [1 - e / p for e, p in zip(embed_runs, pipeline_runs, strict=True)]
    return {
        "documents": len(docs), "chunks": written, "rounds": rounds,
        "embedding_only_chunks_per_s": round(embed_rate, 1),
        "embedding_only_runs_s": [round(t, 2) for t in embed_runs],
        "pipeline_chunks_per_s": round(pipeline_rate, 1),
        "pipeline_runs_s": [round(t, 2) for t in pipeline_runs],
        "overhead_vs_embedding": round(float(np.median(per_round)), 3),
        "overhead_per_round": [round(x, 3) for x in per_round],
        # inside each pipeline run: share of its wall time not spent waiting for embeddings
        "non_embedding_share_of_pipeline": round(float(np.median(shares)), 3),
        "non_embedding_share_per_round": [round(x, 3) for x in shares],
        "target": {"overhead_vs_embedding": "< 0.20"},
    }


async def _pipeline(rt: RagRuntime, count: int, run_no: int, shares: list[float]) -> float:
    rt.ingestor.embed_seconds = 0.0
    started = time.perf_counter()
    outcomes = await rt.ingestor.ingest(documents(count, run_no))
    took = time.perf_counter() - started
    assert all(o.status == "added" for o in outcomes)
    shares.append(1 - rt.ingestor.embed_seconds / took)
    return took


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    write_result("rag_ingest", asyncio.run(run(args.docs, args.rounds)))


if __name__ == "__main__":
    main()
