"""Retrieval quality: recall@3 and MRR of vector-only, full-text-only and hybrid search.

Sets: our French shop FAQ (bench/data/rag_eval_*.jsonl: 46 questions over 33 passages of the demo
shop) and, when ../shared/data is present, PIAF's Service-Public.fr questions (MIT, etalab-ia/piaf-ml:
105 questions, one relevant passage each; out of the shop domain).

    .venv/bin/python -m bench.rag_quality
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bench._common import bench_database, bench_settings, write_result
from libs.common.db import create_pool
from libs.common.events.rag import SearchKnowledge
from services.rag.config import RagSettings
from services.rag.loaders import SourceDocument
from services.rag.runtime import RagRuntime, open_runtime

DATA = Path(__file__).parent / "data"
PIAF = Path(__file__).resolve().parents[2] / "shared" / "data" / "piaf-spf-qr-test.json"
MODES = ("vector", "fulltext", "hybrid")
Question = tuple[str, set[str]]


def shop_set() -> tuple[list[SourceDocument], list[Question]]:
    passages = [json.loads(line) for line in (DATA / "rag_eval_passages.jsonl").read_text().splitlines()]
    docs = [SourceDocument(doc_key=p["id"], source="shop-faq", text=p["text"], title=p["title"],
                           category="shop", metadata={"doc_id": p["id"]}) for p in passages]
    questions = [json.loads(line) for line in (DATA / "rag_eval_questions.jsonl").read_text().splitlines()]
    return docs, [(q["q"], set(q["relevant"])) for q in questions]


def piaf_set() -> tuple[list[SourceDocument], list[Question]]:
    data = json.loads(PIAF.read_text(encoding="utf-8"))["data"]
    docs: list[SourceDocument] = []
    questions: list[Question] = []
    for i, article in enumerate(data):
        for j, paragraph in enumerate(article["paragraphs"]):
            key = f"piaf-{i}-{j}"
            docs.append(SourceDocument(doc_key=key, source="piaf", text=paragraph["context"],
                                       category="piaf", metadata={"doc_id": key}))
            questions.extend((qa["question"], {key}) for qa in paragraph["qas"])
    return docs, questions


async def evaluate(rt: RagRuntime, category: str, questions: list[Question]) -> dict[str, dict[str, float]]:
    scores: dict[str, dict[str, float]] = {}
    for mode in MODES:
        recall = reciprocal = 0.0
        for query, relevant in questions:
            result = await rt.search.search(SearchKnowledge(query=query, k=10, mode=mode, category=category,
                                                            threshold=-1.0))
            ranked: list[str] = []
            for hit in result.hits:  # several chunks of one passage count once, at their best rank
                doc = str(hit.metadata.get("doc_id"))
                if doc not in ranked:
                    ranked.append(doc)
            recall += any(d in relevant for d in ranked[:3])
            reciprocal += next((1 / (r + 1) for r, d in enumerate(ranked) if d in relevant), 0.0)
        n = len(questions)
        scores[mode] = {"recall_at_3": round(recall / n, 3), "mrr": round(reciprocal / n, 3)}
    return scores


async def run() -> dict[str, Any]:
    sets = {"shop_faq": shop_set()}
    if PIAF.exists():
        sets["piaf_spf"] = piaf_set()
    figures: dict[str, Any] = {}
    async with bench_database() as dsn:
        settings = bench_settings(dsn)
        pool = await create_pool(settings)
        rt = await open_runtime(settings, pool, RagSettings())
        try:
            for name, (docs, questions) in sets.items():
                await rt.ingestor.ingest(docs)
                scores = await evaluate(rt, docs[0].category or "", questions)
                figures[name] = {"passages": len(docs), "questions": len(questions), **scores,
                                 "hybrid_beats_both": all(
                                     scores["hybrid"][m] >= max(scores["vector"][m], scores["fulltext"][m])
                                     for m in ("recall_at_3", "mrr"))}
        finally:
            await rt.close()
            await pool.close()
    return figures


def main() -> None:
    write_result("rag_quality", asyncio.run(run()))


if __name__ == "__main__":
    main()
