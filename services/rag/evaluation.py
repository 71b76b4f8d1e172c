"""Retrieval evaluation: recall@1/3/10 and MRR@10 of each leg and of a plain BM25 baseline.

A question is `{"query", "relevant": [...]}` where `relevant` names documents by their JSONL id
(`doc_id`), document key, source or document id. Hits are reduced to distinct documents (several
chunks of one document count once, at their best rank) before scoring. The baseline is a plain
BM25 (k1 1.2, b 0.75) over the same chunks, computed here in memory: lower case, accents folded,
stop words removed — no stemming, no elision handling, no fusion — the usual « BM25 » reference.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libs.common.events.rag import KnowledgeHit, SearchKnowledge
from libs.lexical import STOP_WORDS, fold
from services.rag import lexical
from services.rag.search import Fusion, KnowledgeSearch, validate_query

LEGS = ("hybrid", "vector", "lexical", "bm25_plain")
MODE_OF_LEG = {"hybrid": "hybrid", "vector": "vector", "lexical": "fulltext"}
CUTOFFS = (1, 3, 10)
_WORD = re.compile(r"[^\W_]+")
_PLAIN_STOP = STOP_WORDS["fr"] | STOP_WORDS["en"]


class EvalFileError(ValueError):
    pass


@dataclass(frozen=True)
class Question:
    query: str
    relevant: frozenset[str]
    id: str | None = None


def load_questions(path: Path) -> list[Question]:
    """Questions from a JSONL file; a malformed line raises EvalFileError naming it."""
    questions: list[Question] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"{path}: cannot read ({exc})") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            query = row["query"] if "query" in row else row["q"]
            relevant = row.get("relevant", [])
            if not isinstance(query, str) or not isinstance(relevant, list):
                raise TypeError("`query` must be a string and `relevant` a list")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise EvalFileError(f"{path}:{n}: {exc}") from exc
        questions.append(Question(query, frozenset(str(r) for r in relevant), row.get("id")))
    if not questions:
        raise EvalFileError(f"{path}: no question")
    return questions


def hit_keys(hit: KnowledgeHit) -> set[str]:
    keys = {str(hit.metadata.get(k)) for k in ("doc_id", "doc_key") if hit.metadata.get(k)}
    return keys | {k for k in (hit.source, hit.document_id) if k}


def ranked_documents(hits: Iterable[KnowledgeHit]) -> list[set[str]]:
    """Each distinct document once, at its best rank, as the set of names it answers to."""
    seen: set[str] = set()
    out: list[set[str]] = []
    for hit in hits:
        doc = hit.document_id or hit.id
        if doc not in seen:
            seen.add(doc)
            out.append(hit_keys(hit))
    return out


def first_relevant_rank(docs: Sequence[set[str]], relevant: frozenset[str]) -> int | None:
    return next((r for r, keys in enumerate(docs, start=1) if keys & relevant), None)


def scores(ranks: Sequence[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {f"recall_at_{c}": round(sum(r is not None and r <= c for r in ranks) / n, 3) for c in CUTOFFS}
    out["mrr_at_10"] = round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 3)
    return out


def plain_terms(text: str) -> list[str]:
    return [w for w in (fold(t) for t in _WORD.findall(text.lower())) if w not in _PLAIN_STOP]


class PlainBM25:
    """Textbook BM25 over (key set, text) documents, in memory."""

    def __init__(self, docs: Sequence[tuple[set[str], str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.keys = [keys for keys, _ in docs]
        self.tfs = [Counter(plain_terms(text)) for _, text in docs]
        self.lengths = [sum(tf.values()) for tf in self.tfs]
        self.avgdl = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0
        df: Counter[str] = Counter(t for tf in self.tfs for t in tf)
        n = len(self.tfs)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.k1, self.b = k1, b

    def rank(self, query: str, k: int = 10) -> list[set[str]]:
        terms = [t for t in dict.fromkeys(plain_terms(query)) if t in self.idf]
        scored: list[tuple[float, int]] = []
        for i, tf in enumerate(self.tfs):
            s = 0.0
            for t in terms:
                f = tf.get(t)
                if f:
                    norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avgdl)
                    s += self.idf[t] * f * (self.k1 + 1) / (f + norm)
            if s > 0:
                scored.append((s, i))
        scored.sort(key=lambda si: (-si[0], si[1]))
        seen: list[set[str]] = []
        for _, i in scored:
            if self.keys[i] not in seen:
                seen.append(self.keys[i])
            if len(seen) == k:
                break
        return seen


async def scope_chunks(search: KnowledgeSearch, category: str | None, source: str | None
                       ) -> list[tuple[set[str], str]]:
    """The chunks an evaluation searches, as the baseline indexes them (title in front)."""
    sql = f"""
        SELECT c.id, c.content, c.source, c.document_id, d.title, d.doc_key, d.metadata->>'doc_id' AS doc_id
        FROM {search.table} c LEFT JOIN app_knowledge_documents d ON d.id = c.document_id
        WHERE ($1::text IS NULL OR c.category = $1) AND ($2::text IS NULL OR c.source = $2)"""
    async with search.pool.acquire() as conn:
        rows = await conn.fetch(sql, category, source)
    docs: dict[str, tuple[set[str], list[str]]] = {}
    for r in rows:
        keys = {str(v) for v in (r["doc_id"], r["doc_key"], r["source"], r["document_id"]) if v}
        doc = str(r["document_id"] or r["id"])
        entry = docs.setdefault(doc, (keys, []))
        entry[1].append(lexical.index_text(r["content"], r["title"]) if search.rag.index_titles else r["content"])
    # one baseline document per chunk, named by its document (the legs rank chunks too)
    return [(keys, text) for keys, texts in docs.values() for text in texts]


async def evaluate(search: KnowledgeSearch, questions: Sequence[Question], category: str | None = None,
                   source: str | None = None, fusion: Fusion | None = None,
                   legs: Sequence[str] = LEGS) -> dict[str, Any]:
    """Figures per leg, plus the per-question ranks (for a closer look)."""
    queries = [validate_query(q.query) for q in questions]
    vectors = await search.embedder.embed(queries)
    ranks: dict[str, list[int | None]] = {leg: [] for leg in legs}
    for leg in legs:
        if leg == "bm25_plain":
            baseline = PlainBM25(await scope_chunks(search, category, source))
            ranks[leg] = [first_relevant_rank(baseline.rank(q, 10), question.relevant)
                          for q, question in zip(queries, questions, strict=True)]
            continue
        for q, vector, question in zip(queries, vectors, questions, strict=True):
            request = SearchKnowledge(query=q, k=10, mode=MODE_OF_LEG[leg], category=category, source=source,
                                      threshold=-1.0)
            hits = await search.search_vector(request, q, vector, fusion or search.fusion)
            ranks[leg].append(first_relevant_rank(ranked_documents(hits), question.relevant))
    return {"questions": len(questions), **{leg: scores(ranks[leg]) for leg in legs}, "ranks": ranks}
