"""The quality benchmark, small: the shop FAQ (all its questions) and a slice of piaf-a, through the
real legs and the plain BM25 baseline of the same run (bench.rag_quality has the full sets)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

from bench.rag_quality import DATA, passages, questions
from services.rag.evaluation import Question, evaluate
from services.rag.runtime import RagRuntime


async def _ingest(rt: RagRuntime, name: str, keep: set[str] | None = None) -> str:
    category = f"q{uuid.uuid4().hex[:8]}"
    docs = [replace(d, category=category, doc_key=f"{category}:{d.doc_key}") for d in passages(name)
            if keep is None or d.metadata["doc_id"] in keep]
    await rt.ingestor.ingest(docs)
    return category


async def test_shop_faq_hybrid_beats_plain_bm25(rag_runtime: RagRuntime) -> None:
    category = await _ingest(rag_runtime, "shop")
    qs = questions("shop", "dev") + questions("shop", "test")
    result = await evaluate(rag_runtime.search, qs, category=category)
    hybrid, base = result["hybrid"], result["bm25_plain"]
    assert hybrid["recall_at_3"] >= base["recall_at_3"] + 0.05 and hybrid["recall_at_3"] >= 0.8
    assert result["lexical"]["mrr_at_10"] > base["mrr_at_10"]  # stems, elision, titles, synonyms
    assert hybrid["recall_at_10"] >= hybrid["recall_at_3"] >= hybrid["recall_at_1"]


async def test_piaf_slice_hybrid_beats_plain_bm25(rag_runtime: RagRuntime) -> None:
    qs: list[Question] = questions("piaf-a", "test")[:60]
    relevant = {r for q in qs for r in q.relevant}
    rows = [json.loads(line) for line in (DATA / "piaf-a-passages.jsonl").read_text(encoding="utf-8").splitlines()]
    distractors = [r["id"] for r in rows if r["id"] not in relevant][:90]
    category = await _ingest(rag_runtime, "piaf-a", relevant | set(distractors))
    result = await evaluate(rag_runtime.search, qs, category=category)
    assert result["hybrid"]["recall_at_3"] >= result["bm25_plain"]["recall_at_3"]
    assert result["hybrid"]["mrr_at_10"] >= result["bm25_plain"]["mrr_at_10"]
