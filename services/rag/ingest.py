"""Ingestion pipeline: chunk → skip unchanged → embed (batched across documents) → COPY, with events.

Documents are grouped until a group holds about `group_chunks` chunks, so many small JSONL records
still fill length-sorted embedding batches. A group is written in one transaction (delete the old
chunks of each changed document, COPY the new ones, upsert the document rows, outbox events); the
next group is embedded while the previous one is written, so the database work hides behind the
embedding.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, cast

import asyncpg
import numpy as np

from libs.common.db import Conn
from libs.common.events.rag import KnowledgeDocumentDeleted, KnowledgeDocumentIngested
from libs.common.outbox import add_event
from services.rag import lexical, repo
from services.rag.chunking import CHUNKER, Tokenizer, chunk_text
from services.rag.embedder import AsyncEmbedder
from services.rag.loaders import SourceDocument

SERVICE = "rag"
Status = Literal["added", "replaced", "unchanged"]


@dataclass(frozen=True)
class Outcome:
    doc_key: str
    source: str
    status: Status
    chunks: int
    document_id: str | None = None


@dataclass
class _Prepared:
    doc: SourceDocument
    chunks: list[str]
    content_hash: str
    index_texts: list[str] = field(default_factory=list)  # what is embedded and indexed (title in front)
    vectors: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.float32))


@dataclass(frozen=True)
class ChunkPolicy:
    max_tokens: int = 200
    overlap: int = 32
    index_titles: bool = True


class Ingestor:
    def __init__(self, pool: asyncpg.Pool, embedder: AsyncEmbedder, tokenizer: Tokenizer,
                 policy: ChunkPolicy, group_chunks: int = 256) -> None:
        self.pool = pool
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.policy = policy
        self.table = repo.chunk_table(embedder.dim)
        self.group_chunks = group_chunks
        self.embed_seconds = 0.0  # time spent waiting for embeddings, for the ingestion benchmark

    async def ingest(self, docs: Iterable[SourceDocument],
                     on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
        outcomes: list[Outcome] = []
        writing: asyncio.Task[list[Outcome]] | None = None
        try:
            async for group, skipped in self._groups(docs):
                for outcome in skipped:
                    _report(outcomes, outcome, on_done)
                vectors = await self._embed([t for p in group for t in p.index_texts]) if group else None
                if writing is not None:
                    for outcome in await writing:
                        _report(outcomes, outcome, on_done)
                    writing = None
                if group and vectors is not None:
                    _split_vectors(group, vectors)
                    writing = asyncio.create_task(self._write(group))
            if writing is not None:
                for outcome in await writing:
                    _report(outcomes, outcome, on_done)
                writing = None
        finally:
            if writing is not None:  # failed while the previous group was being written: roll it back
                writing.cancel()
                await asyncio.gather(writing, return_exceptions=True)
        return outcomes

    async def _embed(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return await self.embedder.embed(texts)
        finally:
            self.embed_seconds += time.perf_counter() - started

    async def _groups(self, docs: Iterable[SourceDocument]
                      ) -> AsyncIterator[tuple[list[_Prepared], list[Outcome]]]:
        group: list[_Prepared] = []
        skipped: list[Outcome] = []
        size = 0
        for doc in docs:
            content_hash = self._hash(doc)
            known = await repo.find_document(self.pool, self.table, doc.doc_key)
            if known is not None and known["content_hash"] == content_hash:  # skipped before chunking
                skipped.append(Outcome(doc.doc_key, doc.source, "unchanged", known["chunk_count"],
                                       str(known["id"])))
                continue
            prepared = self.prepare(doc)
            group.append(prepared)
            size += len(prepared.chunks)
            if size >= self.group_chunks:
                yield group, skipped
                group, skipped, size = [], [], 0
        if group or skipped:
            yield group, skipped

    def prepare(self, doc: SourceDocument) -> _Prepared:
        chunks = chunk_text(doc.text, self.tokenizer, self.policy.max_tokens, self.policy.overlap,
                            markdown=doc.format == "markdown")
        texts = [lexical.index_text(c, doc.title) if self.policy.index_titles else c for c in chunks]
        return _Prepared(doc, chunks, self._hash(doc), texts)

    def _hash(self, doc: SourceDocument) -> str:
        identity = [doc.text, doc.source, doc.title, doc.category, doc.language, doc.metadata,
                    self.embedder.model_name, self.policy.max_tokens, self.policy.overlap,
                    self.policy.index_titles, lexical.ANALYZER, CHUNKER]
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()

    async def _write(self, group: list[_Prepared]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        records: list[tuple[object, ...]] = []
        postings: list[lexical.Posting] = []
        group = list({p.doc.doc_key: p for p in group}.values())  # a key given twice: the last wins
        async with self.pool.acquire() as conn, conn.transaction():
            for prepared in group:
                outcome, rows = await self._write_document(conn, prepared)
                outcomes.append(outcome)
                records.extend(rows)
                for row, text in zip(rows, prepared.index_texts, strict=True):
                    postings.extend(lexical.postings(cast(uuid.UUID, row[0]), text, prepared.doc.language))
            if records:
                await conn.copy_records_to_table(self.table, records=records,
                                                 columns=list(repo.CHUNK_COLUMNS))
                await lexical.write_postings(conn, self.table, postings)
        return outcomes

    async def _write_document(self, conn: Conn, p: _Prepared
                              ) -> tuple[Outcome, list[tuple[object, ...]]]:
        doc = p.doc
        row = await repo.upsert_document(conn, self.table, (
            doc.doc_key, doc.source, doc.title, doc.category, doc.language, p.content_hash,
            self.embedder.model_name, len(p.chunks), doc.metadata))
        document_id = row["id"]
        await conn.execute(repo.DELETE_CHUNKS.format(table=self.table), document_id)
        total = len(p.chunks)
        rows: list[tuple[object, ...]] = [
            (uuid.uuid4(), text, p.vectors[i], doc.source, doc.category, doc.language, i, total, document_id)
            for i, text in enumerate(p.chunks)]
        await add_event(conn, KnowledgeDocumentIngested(
            document_id=str(document_id), doc_key=doc.doc_key, source=doc.source, category=doc.category,
            language=doc.language, chunk_count=total, table=self.table, replaced=bool(row["replaced"]),
        ), source=SERVICE, aggregate_id=f"knowledge:{doc.doc_key}")
        status: Status = "replaced" if row["replaced"] else "added"
        return Outcome(doc.doc_key, doc.source, status, total, str(document_id)), rows

    async def delete_source(self, source: str) -> list[str]:
        """Delete every document ingested from `source` (and its chunks); returns their keys."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await repo.delete_source(conn, self.table, source)
            for row in rows:
                await add_event(conn, KnowledgeDocumentDeleted(
                    document_id=str(row["id"]), doc_key=row["doc_key"], source=row["source"],
                    table=self.table), source=SERVICE, aggregate_id=f"knowledge:{row['doc_key']}")
        return [row["doc_key"] for row in rows]


def _split_vectors(group: list[_Prepared], vectors: np.ndarray) -> None:
    start = 0
    for prepared in group:
        prepared.vectors = vectors[start : start + len(prepared.chunks)]
        start += len(prepared.chunks)


def _report(outcomes: list[Outcome], outcome: Outcome, on_done: Callable[[Outcome], None] | None) -> None:
    outcomes.append(outcome)
    if on_done is not None:
        on_done(outcome)
