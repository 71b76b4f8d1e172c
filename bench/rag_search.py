"""Search latency on 100,000 synthetic 384-d chunks: p50/p99 of hybrid, vector-only and lexical-only
(BM25) top-10 as the service runs them (services.rag.search: both legs, the union's rows, the fusion),
recall@10 of the HNSW index against exact search.

Vectors are clustered (1,000 random centres plus noise, normalised), closer to real sentence embeddings
than uniform random vectors; each query is a perturbed copy of a stored chunk. Texts are 30 words drawn
(Zipf) from 3,000 synthetic French-like words; a hybrid query takes 4 words of its chunk. Rows and
their lexical postings (libs.lexical terms) go in by COPY, the HNSW index (migration 029's
definition) is built once after the load, and the database is kept in RAG_BENCH_DIR (default:
comptoir-rag-search-bench in the temporary directory) so later runs reuse it. Latency is the search
once the query is embedded (SQL round trips and fusion included), not the embedding itself.

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
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np

from bench._common import bench_settings, write_result
from libs.common.db import create_pool, init_connection
from libs.common.embedded_pg import embedded_dsn, stop_embedded
from libs.common.events.rag import SearchKnowledge
from libs.common.migrate import migrate
from services.rag import lexical, repo
from services.rag.config import RagSettings
from services.rag.embedder import AsyncEmbedder
from services.rag.search import KnowledgeSearch

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


def bench_dsn(server: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path=f"/{DB_NAME}"))


async def connect_bench_db(folder: Path) -> asyncpg.Connection:
    server = embedded_dsn(folder)
    admin = await asyncpg.connect(server)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB_NAME):
            await admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(bench_dsn(server))
    await migrate(conn)
    await init_connection(conn)
    return conn


async def load(conn: asyncpg.Connection, vectors: np.ndarray, texts: list[str]) -> dict[str, float]:
    indexed = await conn.fetchval("SELECT chunks FROM app_knowledge_lexical_stats WHERE chunk_table = $1", TABLE)
    if await conn.fetchval(f"SELECT count(*) FROM {TABLE}") == len(texts) and indexed == len(texts):
        return {"reused": 1.0}
    await conn.execute(f"TRUNCATE {TABLE} CASCADE")
    await conn.execute("DROP INDEX IF EXISTS idx_knowledge_chunks_embedding")
    started = time.perf_counter()
    records = [(uuid.uuid4(), texts[i], vectors[i], "bench", "cat" + str(i % 5), "fr", 0, 1)
               for i in range(len(texts))]
    await conn.copy_records_to_table(TABLE, records=records, columns=list(repo.CHUNK_COLUMNS[:-1]))
    copied = time.perf_counter() - started
    started = time.perf_counter()
    async with conn.transaction():
        await lexical.write_postings(conn, TABLE, (p for r in records
                                                   for p in lexical.postings(r[0], r[1], "fr")))
    postings = time.perf_counter() - started
    await conn.execute("SET maintenance_work_mem = '1GB'")
    await conn.execute("SET max_parallel_maintenance_workers = 1")
    started = time.perf_counter()
    await conn.execute(INDEX_DDL)
    built = time.perf_counter() - started
    await conn.execute(f"VACUUM ANALYZE {TABLE}")
    await conn.execute(f"VACUUM ANALYZE {lexical.TERM_TABLES[TABLE]}")
    return {"copy_s": round(copied, 1), "postings_s": round(postings, 1), "hnsw_build_s": round(built, 1)}


class _Dim:
    """Stands in for the embedder: the search only needs the dimension (queries come embedded)."""

    dim = 384


def searcher(pool: asyncpg.Pool, ef_search: int, postings: int | None = None) -> KnowledgeSearch:
    rag = RagSettings(ef_search=ef_search)
    if postings is not None:
        rag = rag.model_copy(update={"lexical_postings": postings})
    return KnowledgeSearch(pool, cast(AsyncEmbedder, _Dim()), rag)


async def set_search_options(conn: asyncpg.Connection, ef_search: int) -> None:
    """The session options services.rag.repo keeps on its pooled connections."""
    await conn.execute(f"SET hnsw.ef_search = {int(ef_search)}")
    await conn.execute("SET hnsw.iterative_scan = relaxed_order")


async def latencies(search: KnowledgeSearch, queries: list[tuple[np.ndarray, str]], mode: str,
                    k: int = 10) -> dict[str, float]:
    return (await interleaved({mode: search}, queries, k))[mode]


async def interleaved(searches: dict[str, KnowledgeSearch], queries: list[tuple[np.ndarray, str]],
                      k: int = 10) -> dict[str, dict[str, float]]:
    """p50/p99 per mode, the modes taking turns query by query: a shared machine's load then weighs
    on each mode alike, and their ratio is the figure to read."""
    times: dict[str, list[float]] = {mode: [] for mode in searches}
    for vector, text in queries:
        for mode, search in searches.items():
            request = SearchKnowledge(query=text, k=k, mode=mode.split(":")[0], threshold=-1.0)
            started = time.perf_counter()
            await search.search_vector(request, text, vector, search.fusion)
            times[mode].append((time.perf_counter() - started) * 1000)
    return {mode: {"p50_ms": round(float(np.percentile(t, 50)), 2), "p99_ms": round(float(np.percentile(t, 99)), 2)}
            for mode, t in times.items()}


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
        server = embedded_dsn(folder)
        pool = await create_pool(bench_settings(bench_dsn(server)))
        try:
            figures: dict[str, Any] = {"rows": rows, "queries": n_queries, "load": loading}
            for ef in (40, 100):
                figures[f"ef_search_{ef}"] = {
                    "vector_top10": await latencies(searcher(pool, ef), queries, "vector"),
                    "recall_at_10_vs_exact": await recall(conn, queries[:100], ef),
                }
            search = searcher(pool, 100)  # the service's settings: 40 candidates per leg, ef_search 100
            await latencies(search, queries[:30], "hybrid")  # warm the caches
            same_run = await interleaved({"vector": search, "hybrid": search, "fulltext": search}, queries)
            figures["hybrid_top10"] = same_run["hybrid"]
            figures["vector_only_top10_same_run"] = same_run["vector"]
            figures["lexical_only_top10"] = same_run["fulltext"]
            figures["hybrid_over_vector_p50"] = round(same_run["hybrid"]["p50_ms"] / same_run["vector"]["p50_ms"], 2)
            # postings read per query term (RAG_LEXICAL_POSTINGS): the lexical leg's cost knob
            caps = {f"hybrid:{cap}": searcher(pool, 100, cap) for cap in (250, 500, 2000)}
            figures["hybrid_by_postings_per_term"] = await interleaved(caps, queries[:150])
            figures["targets"] = {"hybrid_p50_ms": "<= 10", "hybrid_p99_ms": "<= 30", "recall_at_10": ">= 0.95"}
        finally:
            await pool.close()
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
