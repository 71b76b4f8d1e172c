"""Search latency on 100,000 synthetic 384-d chunks: p50/p99 of hybrid and vector-only top-10,
recall@10 of the HNSW index against exact search.

Vectors are clustered (1,000 random centres plus noise, normalised), closer to real sentence embeddings
than uniform random vectors; each query is a perturbed copy of a stored chunk. Texts are 30 words drawn
(Zipf) from 3,000 synthetic French-like words; a hybrid query takes 4 words of its chunk. Rows go in by
COPY, the HNSW index (migration 029's definition) is built once after the load, and the database is
kept in RAG_BENCH_DIR (default: comptoir-rag-search-bench in the temporary directory) so later runs
reuse it. Latency is the SQL call (round trip included), not the query's embedding.

    .venv/bin/python -m bench.rag_search [--rows 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np

from bench._common import write_result
from libs.common.db import init_connection
from libs.common.embedded_pg import embedded_dsn, stop_embedded
from libs.common.migrate import migrate
from services.rag import repo

DB_NAME = "rag_search_bench"
TABLE = "app_knowledge_chunks"
INDEX_DDL = (f"CREATE INDEX idx_knowledge_chunks_embedding ON {TABLE} "
             "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)")
SYLLABLES = ["la", "mi", "re", "lu", "mie", "ver", "bois", "lin", "cha", "pon", "tar", "son", "gra", "du",
             "vel", "cor", "ban", "fleur", "lam", "ton", "ri", "que", "ment", "ail", "oir"]


def vocabulary(rng: np.random.Generator, size: int = 3000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 4)))))
    return sorted(words)


def synthetic(rows: int, dim: int, seed: int = 7) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((1000, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, 1000, rows)] + 0.6 * rng.standard_normal((rows, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    words = np.array(vocabulary(rng))
    ranks = np.minimum(rng.zipf(1.3, size=(rows, 30)) - 1, len(words) - 1)
    texts = [" ".join(words[r]) for r in ranks]
    return vectors, texts


async def connect_bench_db(folder: Path) -> asyncpg.Connection:
    server = embedded_dsn(folder)
    admin = await asyncpg.connect(server)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB_NAME):
            await admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(urlunsplit(urlsplit(server)._replace(path=f"/{DB_NAME}")))
    await migrate(conn)
    await init_connection(conn)
    return conn


async def load(conn: asyncpg.Connection, vectors: np.ndarray, texts: list[str]) -> dict[str, float]:
    if await conn.fetchval(f"SELECT count(*) FROM {TABLE}") == len(texts):
        return {"reused": 1.0}
    await conn.execute(f"TRUNCATE {TABLE}")
    await conn.execute("DROP INDEX IF EXISTS idx_knowledge_chunks_embedding")
    started = time.perf_counter()
    records = [(uuid.uuid4(), texts[i], vectors[i], "bench", "cat" + str(i % 5), "fr", 0, 1)
               for i in range(len(texts))]
    await conn.copy_records_to_table(TABLE, records=records, columns=list(repo.CHUNK_COLUMNS[:-1]))
    copied = time.perf_counter() - started
    await conn.execute("SET maintenance_work_mem = '1GB'")
    await conn.execute("SET max_parallel_maintenance_workers = 1")
    started = time.perf_counter()
    await conn.execute(INDEX_DDL)
    built = time.perf_counter() - started
    await conn.execute(f"VACUUM ANALYZE {TABLE}")
    return {"copy_s": round(copied, 1), "hnsw_build_s": round(built, 1)}


def params(vector_limit: int, text_limit: int, ef_search: int) -> repo.SearchParams:
    return repo.SearchParams(category=None, language=None, source=None, vector_limit=vector_limit,
                             text_limit=text_limit, rrf_k=60, threshold=-1.0, k=10, ef_search=ef_search)


async def set_search_options(conn: asyncpg.Connection, ef_search: int) -> None:
    """The session options services.rag.repo.search keeps on its pooled connections."""
    await conn.execute(f"SET hnsw.ef_search = {int(ef_search)}")
    await conn.execute("SET hnsw.iterative_scan = relaxed_order")


async def latencies(conn: asyncpg.Connection, queries: list[tuple[np.ndarray, str]],
                    p: repo.SearchParams) -> dict[str, float]:
    sql = repo.SEARCH.format(table=TABLE)
    times = []
    await set_search_options(conn, p.ef_search)
    for vector, text in queries:
        started = time.perf_counter()
        await conn.fetch(sql, vector, None, None, None, p.vector_limit, p.rrf_k, text, p.text_limit,
                         p.threshold, p.k)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 2),
            "p99_ms": round(float(np.percentile(times, 99)), 2)}


async def recall(conn: asyncpg.Connection, queries: list[tuple[np.ndarray, str]], ef_search: int) -> float:
    sql = f"SELECT id FROM {TABLE} ORDER BY embedding <=> $1 LIMIT 10"
    hits = 0
    await set_search_options(conn, ef_search)
    for vector, _ in queries:
        approx = {r["id"] for r in await conn.fetch(sql, vector)}
        async with conn.transaction():
            await conn.execute("SET LOCAL enable_indexscan = off")
            exact = {r["id"] for r in await conn.fetch(sql, vector)}
        hits += len(approx & exact)
    return round(hits / (10 * len(queries)), 4)


async def run(rows: int, n_queries: int) -> dict[str, Any]:
    vectors, texts = synthetic(rows, 384)
    folder = Path(os.environ.get("RAG_BENCH_DIR") or Path(tempfile.gettempdir()) / "comptoir-rag-search-bench")
    conn = await connect_bench_db(folder)
    try:
        loading = await load(conn, vectors, texts)
        rng = np.random.default_rng(11)
        picks = rng.integers(0, rows, n_queries)
        queries = []
        for i in picks:
            noisy = vectors[i] + 0.03 * rng.standard_normal(384).astype(np.float32)
            queries.append((noisy / np.linalg.norm(noisy), " ".join(rng.choice(texts[i].split(), 4))))
        await latencies(conn, queries[:30], params(10, 10, 100))  # warm the caches
        figures: dict[str, Any] = {"rows": rows, "queries": n_queries, "load": loading}
        for ef in (40, 100):
            figures[f"ef_search_{ef}"] = {
                "vector_top10": await latencies(conn, queries, params(10, 0, ef)),
                "recall_at_10_vs_exact": await recall(conn, queries[:100], ef),
            }
        # the service's settings: 40 candidates per retriever, ef_search 100
        figures["hybrid_top10"] = await latencies(conn, queries[:100], params(40, 40, 100))
        figures["fulltext_only_top10"] = await latencies(conn, queries[:100], params(0, 40, 100))
        figures["targets"] = {"vector_p50_ms": "<= 10", "recall_at_10": ">= 0.95"}
        return figures
    finally:
        await conn.close()
        if "DATABASE_URL" not in os.environ:
            stop_embedded(folder)  # the data stays on disk for the next run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    write_result("rag_search", asyncio.run(run(args.rows, args.queries)))


if __name__ == "__main__":
    main()
