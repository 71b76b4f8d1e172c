"""Hybrid retrieval: pgvector cosine (HNSW) and BM25 over the lexical index, fused in Python.

Each leg returns its best `RAG_CANDIDATES` chunks; the union's rows are fetched once (with the cosine
of every candidate, lexical-only ones included); the fusion (`RAG_FUSION`) orders them:

- `score` (default): a weighted sum of the two legs' scores, each normalised over the query's
  candidates — cosine min-max, BM25 divided by the best BM25 — with weight `RAG_VECTOR_WEIGHT` on the
  vector side; a candidate one leg did not return gets 0 from it; plus `RAG_COVERAGE_WEIGHT` times the
  chunk's coverage of the query (the idf-weighted share of its terms the chunk holds,
  services/rag/lexical.py), so that of two chunks BM25 ranks alike the one that speaks of the whole
  question comes first;
- `rrf`: weighted reciprocal rank, `w/(RAG_RRF_K + rank)` from each leg.

Then the cosine threshold (`RAG_THRESHOLD`, or the request's) drops weak hits (not in lexical-only
mode). Weights were chosen on the development sets of bench/data/rag (docs/rag.md).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np

from libs.common.errors import RemoteError
from libs.common.events.rag import (
    MAX_QUERY_CHARS,
    KnowledgeHit,
    KnowledgeSearchResults,
    SearchKnowledge,
)
from services.rag import lexical, repo
from services.rag.config import RagSettings
from services.rag.embedder import AsyncEmbedder


class QueryError(RemoteError):
    def __init__(self, message: str) -> None:
        super().__init__("bad_request", message)


def validate_query(query: str) -> str:
    cleaned = " ".join(query.split())
    if not cleaned:
        raise QueryError("the query is empty")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long ({len(cleaned)} characters > {MAX_QUERY_CHARS})")
    return cleaned


@dataclass(frozen=True)
class Fusion:
    method: str = "score"  # score | rrf
    vector_weight: float = 0.3
    rrf_k: int = 60
    coverage_weight: float = 0.3  # score fusion only


@dataclass(frozen=True)
class Candidate:
    id: Any
    vector_rank: int | None
    similarity: float | None
    lexical_rank: int | None
    bm25: float | None
    coverage: float | None = None


def fuse(candidates: Sequence[Candidate], fusion: Fusion) -> list[tuple[Any, float]]:
    """(id, fused score), best first; ties broken by cosine then id for a stable order."""
    if not candidates:
        return []
    w = fusion.vector_weight
    if fusion.method == "rrf":
        scored = [(c, (w / (fusion.rrf_k + c.vector_rank) if c.vector_rank else 0.0)
                   + ((1 - w) / (fusion.rrf_k + c.lexical_rank) if c.lexical_rank else 0.0))
                  for c in candidates]
    else:
        sims = [c.similarity for c in candidates if c.similarity is not None]
        low, high = (min(sims), max(sims)) if sims else (0.0, 0.0)
        spread = high - low or 1.0
        best = max((c.bm25 or 0.0) for c in candidates) or 1.0
        cw = fusion.coverage_weight
        scored = [(c, w * (((c.similarity - low) / spread) if c.similarity is not None else 0.0)
                   + (1 - w) * ((c.bm25 or 0.0) / best) + cw * (c.coverage or 0.0)) for c in candidates]
    scored.sort(key=lambda cs: (-cs[1], -(cs[0].similarity or -1.0), str(cs[0].id)))
    return [(c.id, s) for c, s in scored]


class KnowledgeSearch:
    def __init__(self, pool: asyncpg.Pool, embedder: AsyncEmbedder, rag: RagSettings) -> None:
        self.pool = pool
        self.embedder = embedder
        self.rag = rag
        self.table = repo.chunk_table(embedder.dim)
        self.fusion = Fusion(rag.fusion, rag.vector_weight, rag.rrf_k, rag.coverage_weight)
        self.bm25 = lexical.Bm25(rag.bm25_k1, rag.bm25_b)

    async def search(self, request: SearchKnowledge, fusion: Fusion | None = None) -> KnowledgeSearchResults:
        started = time.perf_counter()
        query = validate_query(request.query)
        vector = (await self.embedder.embed([query]))[0]
        hits = await self.search_vector(request, query, vector, fusion or self.fusion)
        took = (time.perf_counter() - started) * 1000
        return KnowledgeSearchResults(query=query, hits=hits, table=self.table, took_ms=round(took, 2),
                                      high_similarity=self.embedder.high_similarity)

    async def search_vector(self, request: SearchKnowledge, query: str, vector: np.ndarray,
                            fusion: Fusion) -> list[KnowledgeHit]:
        """The search once the query is embedded (batch search embeds many queries at once)."""
        mode = request.mode
        candidates = max(self.rag.candidates, request.k)
        threshold = -1.0 if mode == "fulltext" else (
            self.rag.threshold if request.threshold is None else request.threshold)
        f = (request.category, request.language, request.source)
        async with self.pool.acquire() as conn:
            await repo.set_hnsw_options(conn, max(self.rag.ef_search, candidates))
            near = await repo.nearest(conn, self.table, vector, 0 if mode == "fulltext" else candidates, *f)
            terms = lexical.query_terms(query, request.language, self.rag.synonyms) if mode != "vector" else []
            lex = await lexical.search(conn, self.table, terms, candidates, self.rag.lexical_postings,
                                       self.bm25, *f)
            ids = list(dict.fromkeys([r["id"] for r in near] + [r["id"] for r in lex]))
            rows = {r["id"]: r for r in await repo.fetch_chunks(conn, self.table, ids, vector)}
        v_rank = {r["id"]: i for i, r in enumerate(near, start=1)}
        l_rank = {r["id"]: (i, float(r["score"]), float(r["coverage"])) for i, r in enumerate(lex, start=1)}
        pool = [Candidate(i, v_rank.get(i), _similarity(rows[i]), l_rank[i][0] if i in l_rank else None,
                          l_rank[i][1] if i in l_rank else None, l_rank[i][2] if i in l_rank else None)
                for i in ids if i in rows]
        if mode == "vector":
            ordered = [(c.id, c.similarity or 0.0) for c in sorted(pool, key=lambda c: c.vector_rank or 0)]
        elif mode == "fulltext":
            ordered = [(c.id, c.bm25 or 0.0) for c in sorted(pool, key=lambda c: c.lexical_rank or 0)]
        else:
            ordered = fuse(pool, fusion)
        hits: list[KnowledgeHit] = []
        for chunk_id, score in ordered:
            row = rows[chunk_id]
            similarity = _similarity(row)
            # the threshold is for hits only the vector leg found: a passage holding the query's
            # terms is kept whatever its cosine (an English question's cosine to French pages is low)
            if threshold > -1.0 and chunk_id not in l_rank and (similarity is None or similarity < threshold):
                continue
            hits.append(_hit(row, score, similarity))
            if len(hits) == request.k:
                break
        return hits


def _similarity(row: asyncpg.Record) -> float | None:
    return float(row["similarity"]) if row["similarity"] is not None else None


def _hit(row: asyncpg.Record, score: float, similarity: float | None) -> KnowledgeHit:
    metadata: dict[str, Any] = dict(row["metadata"] or {})
    return KnowledgeHit(
        id=str(row["id"]), content=row["content"], source=row["source"], category=row["category"],
        language=row["language"], score=round(float(score), 6),
        similarity=round(similarity, 6) if similarity is not None else None,
        chunk_index=row["chunk_index"], total_chunks=row["total_chunks"],
        document_id=str(row["document_id"]) if row["document_id"] else None, metadata=metadata,
    )
