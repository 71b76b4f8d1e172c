"""Hybrid retrieval: pgvector cosine (HNSW) and French/English full-text, fused by reciprocal rank."""

from __future__ import annotations

import time
from typing import Any

import asyncpg

from libs.common.errors import RemoteError
from libs.common.events.rag import (
    MAX_QUERY_CHARS,
    KnowledgeHit,
    KnowledgeSearchResults,
    SearchKnowledge,
)
from services.rag import repo
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


class KnowledgeSearch:
    def __init__(self, pool: asyncpg.Pool, embedder: AsyncEmbedder, rag: RagSettings) -> None:
        self.pool = pool
        self.embedder = embedder
        self.rag = rag
        self.table = repo.chunk_table(embedder.dim)

    async def search(self, request: SearchKnowledge) -> KnowledgeSearchResults:
        started = time.perf_counter()
        query = validate_query(request.query)
        vector = (await self.embedder.embed([query]))[0]
        rows = await repo.search(self.pool, self.table, vector, query, self._params(request))
        hits = [_hit(row, request.mode) for row in rows]
        took = (time.perf_counter() - started) * 1000
        return KnowledgeSearchResults(query=query, hits=hits, table=self.table, took_ms=round(took, 2))

    def _params(self, request: SearchKnowledge) -> repo.SearchParams:
        candidates = max(self.rag.candidates, request.k)
        threshold = self.rag.threshold if request.threshold is None else request.threshold
        return repo.SearchParams(
            category=request.category, language=request.language, source=request.source,
            vector_limit=0 if request.mode == "fulltext" else candidates,
            text_limit=0 if request.mode == "vector" else candidates,
            rrf_k=self.rag.rrf_k,
            threshold=-1.0 if request.mode == "fulltext" else threshold,
            k=request.k, ef_search=max(self.rag.ef_search, candidates),
        )


def _hit(row: asyncpg.Record, mode: str) -> KnowledgeHit:
    similarity = float(row["similarity"]) if row["similarity"] is not None else None
    score = {"vector": similarity, "fulltext": row["text_rank"]}.get(mode, row["rrf"])
    metadata: dict[str, Any] = dict(row["metadata"] or {})
    return KnowledgeHit(
        id=str(row["id"]), content=row["content"], source=row["source"], category=row["category"],
        language=row["language"], score=round(float(score or 0.0), 6),
        similarity=round(similarity, 6) if similarity is not None else None,
        chunk_index=row["chunk_index"], total_chunks=row["total_chunks"],
        document_id=str(row["document_id"]) if row["document_id"] else None, metadata=metadata,
    )
