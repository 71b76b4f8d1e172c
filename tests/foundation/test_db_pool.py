"""The pool's connections: no reset round trip on release, shared session settings set once."""

from __future__ import annotations

from typing import Any, cast

import asyncpg

from libs.common.db import PooledConnection


async def test_shared_settings_are_set_once_per_connection_and_kept(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as proxy:
        conn = cast(Any, proxy)  # the pool's proxy forwards PooledConnection's own attributes
        assert isinstance(conn._con, PooledConnection)
        protocol = cast(Any, conn._con)._protocol
        await conn.ensure_settings({"hnsw.ef_search": "123", "hnsw.iterative_scan": "relaxed_order"})
        assert await conn.fetchval("SHOW hnsw.ef_search") == "123"
        before = protocol.queries_count
        await conn.ensure_settings({"hnsw.ef_search": "123"})  # known: no round trip
        assert protocol.queries_count == before
        pid = await conn.fetchval("SELECT pg_backend_pid()")
    async with pool.acquire() as proxy:
        again = cast(Any, proxy)
        if await again.fetchval("SELECT pg_backend_pid()") == pid:  # the same connection: still set
            assert await again.fetchval("SHOW hnsw.iterative_scan") == "relaxed_order"
            assert again.shared_settings["hnsw.ef_search"] == "123"
        await again.ensure_settings({"hnsw.ef_search": "100"})
        assert await again.fetchval("SHOW hnsw.ef_search") == "100"
