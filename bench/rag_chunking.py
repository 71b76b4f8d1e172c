"""Chunk size by measurement: the 105 Service-Public.fr fiches of PIAF (MIT, ../shared/data) ingested
whole (Markdown, their section headings as `##`), once per chunk size, and PIAF's own 105 questions
searched against them; a question is answered at rank r when its fiche is the r-th distinct
document. Hybrid, vector and lexical legs, as the service runs them.

    .venv/bin/python -m bench.rag_chunking [--sizes 100,200,250]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bench._common import bench_database, bench_settings, write_result
from bench.rag_ingest import PIAF
from libs.common.db import create_pool
from services.rag.config import RagSettings
from services.rag.evaluation import Question, evaluate
from services.rag.loaders import SourceDocument
from services.rag.runtime import open_runtime


def _is_heading(line: str) -> bool:  # as scripts/rag_eval_sets.py cuts the fiches
    words = line.split()
    return 0 < len(words) <= 12 and not line.rstrip().endswith((".", ":", ";", ",")) and len(line) < 100


def fiches(size: int) -> tuple[list[SourceDocument], list[Question]]:
    data = json.loads(PIAF.read_text(encoding="utf-8"))["data"]
    docs: list[SourceDocument] = []
    qs: list[Question] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            lines = [f"## {line.strip()}" if _is_heading(line.strip()) else line.strip()
                     for line in paragraph["context"].split("\n") if line.strip()]
            key = f"c{size}:{article['title']}"
            docs.append(SourceDocument(doc_key=key, source=key, text="\n\n".join(lines), format="markdown",
                                       category=f"chunk{size}", metadata={"doc_id": article["title"]}))
            qs.extend(Question(qa["question"], frozenset([article["title"]])) for qa in paragraph["qas"])
    return docs, qs


async def run(sizes: list[int]) -> dict[str, Any]:
    figures: dict[str, Any] = {"documents": 105, "questions": 105}
    async with bench_database() as dsn:
        settings = bench_settings(dsn)
        pool = await create_pool(settings)
        try:
            for size in sizes:
                rag = RagSettings(chunk_tokens=size, chunk_overlap=min(32, size // 4))
                rt = await open_runtime(settings, pool, rag)
                try:
                    docs, qs = fiches(size)
                    outcomes = await rt.ingestor.ingest(docs)
                    result = await evaluate(rt.search, qs, category=f"chunk{size}",
                                            legs=("hybrid", "vector", "lexical"))
                    figures[f"chunk_tokens_{size}"] = {"chunks": sum(o.chunks for o in outcomes),
                                                       **{k: v for k, v in result.items() if k != "ranks"}}
                    print(json.dumps({size: figures[f"chunk_tokens_{size}"]}))
                finally:
                    await rt.close()
        finally:
            await pool.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,200,250")
    args = parser.parse_args()
    write_result("rag_chunking", asyncio.run(run([int(s) for s in args.sizes.split(",")])))


if __name__ == "__main__":
    main()
