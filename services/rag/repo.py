"""SQL of the knowledge base. `{table}` is one of CHUNK_TABLES, chosen by the model's dimension."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import asyncpg
import numpy as np

from libs.common.db import Conn, PooledConnection
from libs.common.errors import ConfigurationError

Executor = Conn | asyncpg.Pool
CHUNK_TABLES = {384: "app_knowledge_chunks", 1024: "app_knowledge_chunks_v2"}
# metadata is not copied: binary COPY has no jsonb encoder on the platform's pool (its codec is text),
# and citation data belongs to the document anyway; searches join app_knowledge_documents for it.
CHUNK_COLUMNS = ("id", "content", "embedding", "source", "category", "language", "chunk_index",
                 "total_chunks", "document_id")

SELECT_DOCUMENT = """
SELECT id, content_hash, chunk_count FROM app_knowledge_documents
WHERE chunk_table = $1 AND doc_key = $2
"""
UPSERT_DOCUMENT = """
INSERT INTO app_knowledge_documents
  (doc_key, source, title, category, language, content_hash, embedding_model, chunk_table, chunk_count,
   metadata)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (chunk_table, doc_key) DO UPDATE SET
  source = EXCLUDED.source, title = EXCLUDED.title, category = EXCLUDED.category,
  language = EXCLUDED.language, content_hash = EXCLUDED.content_hash,
  embedding_model = EXCLUDED.embedding_model, chunk_count = EXCLUDED.chunk_count,
  metadata = EXCLUDED.metadata, updated_at = NOW()
RETURNING id, (xmax <> 0) AS replaced
"""
DELETE_CHUNKS = "DELETE FROM {table} WHERE document_id = $1"
DELETE_SOURCE = """
DELETE FROM app_knowledge_documents WHERE chunk_table = $1 AND source = $2
RETURNING id, doc_key, source
"""
COUNT_CHUNKS = "SELECT count(*) FROM {table}"

# The vector leg: the HNSW index's nearest chunks (filters checked during the scan, iterative scan on)
VECTOR = """
SELECT id, (1 - (embedding <=> $1))::float8 AS similarity FROM {table}
WHERE ($2::text IS NULL OR category = $2) AND ($3::text IS NULL OR language = $3)
  AND ($4::text IS NULL OR source = $4) AND embedding IS NOT NULL
ORDER BY embedding <=> $1 LIMIT $5
"""
# The fused hits' rows, with the citation data of their document
FETCH = """
SELECT c.id, c.content, c.source, c.category, c.language, c.chunk_index, c.total_chunks, c.document_id,
       (1 - (c.embedding <=> $2))::float8 AS similarity,
       coalesce(c.metadata, '{{}}') || coalesce(d.metadata, '{{}}')
         || jsonb_strip_nulls(jsonb_build_object('doc_key', d.doc_key, 'title', d.title)) AS metadata
FROM {table} c LEFT JOIN app_knowledge_documents d ON d.id = c.document_id
WHERE c.id = ANY($1::uuid[])
"""


def chunk_table(dim: int) -> str:
    table = CHUNK_TABLES.get(dim)
    if table is None:
        known = ", ".join(f"{d}-d → {t}" for d, t in CHUNK_TABLES.items())
        raise ConfigurationError(f"embedding dimension {dim} has no knowledge table (known: {known})")
    return table


async def nearest(conn: Conn, table: str, embedding: np.ndarray, limit: int, category: str | None,
                  language: str | None, source: str | None) -> list[asyncpg.Record]:
    if limit <= 0:
        return []
    return list(await conn.fetch(VECTOR.format(table=table), embedding, category, language, source, limit))


async def fetch_chunks(conn: Conn, table: str, ids: Sequence[Any], embedding: np.ndarray) -> list[asyncpg.Record]:
    return list(await conn.fetch(FETCH.format(table=table), list(ids), embedding))


async def set_hnsw_options(conn: Conn, ef_search: int) -> None:
    """The HNSW options, kept on the platform pool's connections (libs.common.db.create_pool)."""
    pooled = cast(PooledConnection, conn)
    await pooled.ensure_settings({"hnsw.ef_search": str(ef_search), "hnsw.iterative_scan": "relaxed_order"})


async def find_document(conn: Executor, table: str, doc_key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_DOCUMENT, table, doc_key)


async def upsert_document(conn: Executor, table: str, values: Sequence[Any]) -> asyncpg.Record:
    row = await conn.fetchrow(UPSERT_DOCUMENT, *values[:7], table, *values[7:])
    assert row is not None
    return row


async def delete_source(conn: Executor, table: str, source: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(DELETE_SOURCE, table, source))


async def count_chunks(conn: Executor, table: str) -> int:
    return int(await conn.fetchval(COUNT_CHUNKS.format(table=table)))
