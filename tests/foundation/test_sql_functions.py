"""SQL functions and triggers of migrations 026–029 on a real Postgres."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import pytest
from asyncpg.pool import PoolConnectionProxy

from libs.common.db import init_connection
from libs.common.migrate import load_migrations, migrate

Executor = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool
CONCURRENT_CALLERS = 50
SPEC_FLAGS = {
    "wixFirstStrict": False, "hp40BoostEnabled": False, "conversationGuardEnabled": True,
    "roleLockEnabled": True, "v3KillSwitch": False, "topicLockEnabled": True, "socialApprovalRequired": True,
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def rate(conn: Executor, key: str, *args: int) -> dict[str, Any]:
    placeholders = ", ".join(f"${i + 2}" for i in range(len(args)))
    result: dict[str, Any] = await conn.fetchval(f"SELECT check_rate_limit($1, {placeholders})", key, *args)
    return result


async def db_now(conn: Executor) -> datetime:
    now: datetime = await conn.fetchval("SELECT clock_timestamp()")
    return now


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- upsert_lead_purchase (026) -------------------------------------------------------------------

async def test_upsert_lead_purchase_is_case_insensitive(pool: asyncpg.Pool):
    local = unique("lead")
    await pool.execute("SELECT upsert_lead_purchase($1, 10)", f"{local.upper()}@X.fr")
    await pool.execute("SELECT upsert_lead_purchase($1, 5, 'sess-1')", f" {local}@x.fr ")
    rows = await pool.fetch(
        "SELECT email, purchase_count, total_spend, last_purchase_amount, session_id FROM app_leads "
        "WHERE lower(email) = lower($1)", f"{local}@x.fr")
    assert [tuple(r) for r in rows] == [(f"{local}@x.fr", 2, 15, 5, "sess-1")]


async def test_any_writer_stores_lead_emails_lower_cased_and_unique(pool: asyncpg.Pool):
    email = f"{unique('Mixed')}@Example.FR"
    stored = await pool.fetchval("INSERT INTO app_leads (email) VALUES ($1) RETURNING email", f"  {email}")
    assert stored == email.lower()
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute("INSERT INTO app_leads (email) VALUES ($1)", email.upper())
    # leads without an e-mail stay allowed, any number of them
    session = unique("anon")
    await pool.execute("INSERT INTO app_leads (session_id, email) VALUES ($1, NULL), ($1, '')", session)
    assert await pool.fetchval("SELECT count(*) FROM app_leads WHERE session_id = $1 AND email IS NULL",
                               session) == 2


@pytest.mark.parametrize(("email", "amount", "reason"), [
    (None, 10, "e-mail is required"),
    ("   ", 10, "e-mail is required"),
    ("ok@x.fr", None, "amount must be"),
    ("ok@x.fr", -1, "amount must be"),
])
async def test_upsert_lead_purchase_rejects_bad_input_with_a_reason(
        pool: asyncpg.Pool, email, amount, reason):
    with pytest.raises(asyncpg.InvalidParameterValueError, match=reason):
        await pool.execute("SELECT upsert_lead_purchase($1, $2)", email, amount)


# --- check_rate_limit (027) -----------------------------------------------------------------------

async def test_exactly_n_admitted_under_concurrency_then_blocked(pool: asyncpg.Pool):
    key, limit = unique("rl-burst"), 7
    conns = [await pool.acquire() for _ in range(CONCURRENT_CALLERS)]
    try:
        # every caller holds its own connection, so the 50 calls really race in the server
        results = await asyncio.gather(*(rate(c, key, limit, 60, 30) for c in conns))
    finally:
        for conn in conns:
            await pool.release(conn)
    allowed = [r for r in results if r["allowed"]]
    denied = [r for r in results if not r["allowed"]]
    assert len(allowed) == limit
    assert sorted(r["count"] for r in allowed) == list(range(1, limit + 1))
    assert sorted(r["remaining"] for r in allowed) == list(range(limit))
    # the first call over the limit set the block; the others were refused without being counted
    blocked_until = {r["blocked_until"] for r in denied}
    assert len(blocked_until) == 1 and None not in blocked_until
    assert {r["count"] for r in denied} == {limit + 1}
    assert await pool.fetchval("SELECT count FROM app_rate_limits WHERE key = $1", key) == limit + 1
    assert all(r["remaining"] == 0 and 1 <= r["retry_after"] <= 60 for r in denied)


async def test_a_block_is_reported_and_honoured_until_it_expires(pool: asyncpg.Pool):
    key = unique("rl-block")
    async with pool.acquire() as conn:
        assert [(await rate(conn, key, 2, 1, 2))["allowed"] for _ in range(2)] == [True, True]
        over = await rate(conn, key, 2, 1, 2)
        assert (over["allowed"], over["count"], over["retry_after"]) == (False, 3, 2)
        blocked_until = ts(over["blocked_until"])
        assert ts(over["reset_at"]) == blocked_until  # the block outlasts the 1 s window
        again = await rate(conn, key, 2, 1, 2)
        assert (again["allowed"], again["count"], ts(again["blocked_until"])) == (False, 3, blocked_until)
        assert 1 <= again["retry_after"] <= 2
        await asyncio.sleep((blocked_until - await db_now(conn)).total_seconds() + 0.05)
        after = await rate(conn, key, 2, 1, 2)
        assert (after["allowed"], after["count"], after["blocked_until"], after["retry_after"]) == (
            True, 1, None, 0)


async def test_retry_after_is_the_time_left_not_the_window(pool: asyncpg.Pool):
    key = unique("rl-left")
    assert (await rate(pool, key, 1, 60))["allowed"]
    await pool.execute(
        "UPDATE app_rate_limits SET window_start = clock_timestamp() - interval '50 seconds' "
        "WHERE key = $1", key)
    denied = await rate(pool, key, 1, 60)
    window_start = await pool.fetchval("SELECT window_start FROM app_rate_limits WHERE key = $1", key)
    assert (denied["allowed"], denied["blocked_until"]) == (False, None)
    assert 9 <= denied["retry_after"] <= 10
    assert (ts(denied["reset_at"]) - window_start).total_seconds() == 60


async def test_a_block_shorter_than_the_window_does_not_shorten_it(pool: asyncpg.Pool):
    key = unique("rl-short-block")
    await rate(pool, key, 1, 60, 1)
    denied = await rate(pool, key, 1, 60, 1)
    assert denied["allowed"] is False and denied["blocked_until"] is not None
    assert 59 <= denied["retry_after"] <= 60  # the window ends after the block


async def test_the_three_argument_call_resolves_to_the_new_function(pool: asyncpg.Pool):
    assert await pool.fetchval("SELECT count(*) FROM pg_proc WHERE proname = 'check_rate_limit'") == 1
    first = await rate(pool, unique("rl-3args"), 5, 60)
    assert set(first) == {
        "allowed", "count", "limit", "remaining", "retry_after", "reset_at", "blocked_until"}
    assert (first["allowed"], first["limit"], first["remaining"], first["retry_after"]) == (True, 5, 4, 0)


@pytest.mark.parametrize(("args", "reason"), [
    (("", 5, 60, 0), "key is required"),
    (("k", -1, 60, 0), "max_requests must be >= 0"),
    (("k", 5, 0, 0), "window_seconds must be > 0"),
    (("k", 5, 60, -3), "block_seconds must be >= 0"),
])
async def test_check_rate_limit_rejects_bad_arguments_with_a_reason(pool: asyncpg.Pool, args, reason):
    with pytest.raises(asyncpg.InvalidParameterValueError, match=reason):
        await pool.fetchval("SELECT check_rate_limit($1, $2, $3, $4)", *args)


async def test_prune_rate_limits_drops_idle_unblocked_keys_only(pool: asyncpg.Pool):
    idle, blocked, fresh = unique("rl-idle"), unique("rl-blocked"), unique("rl-fresh")
    for key in (idle, blocked, fresh):
        await rate(pool, key, 5, 60)
    await pool.execute(
        "UPDATE app_rate_limits SET window_start = NOW() - interval '2 hours', "
        "blocked_until = CASE WHEN key = $2 THEN NOW() + interval '1 hour' END WHERE key = ANY($1::text[])",
        [idle, blocked], blocked)
    assert await pool.fetchval("SELECT prune_rate_limits(3600)") >= 1
    left = await pool.fetch(
        "SELECT key FROM app_rate_limits WHERE key = ANY($1::text[])", [idle, blocked, fresh])
    assert {r["key"] for r in left} == {blocked, fresh}


# --- runtime flags and NOTIFY (029) ---------------------------------------------------------------

async def test_runtime_flags_have_one_source_of_truth(pool: asyncpg.Pool):
    flags = await pool.fetchval("SELECT get_runtime_flags()")
    assert SPEC_FLAGS.keys() <= flags.keys()
    assert await pool.fetchval("SELECT count(*) FROM app_admin_config WHERE key = 'runtime_flags'") == 0
    with pytest.raises(asyncpg.InvalidParameterValueError, match="live in app_runtime_state"):
        await pool.execute("INSERT INTO app_admin_config (key, value) VALUES ('runtime_flags', '{}')")


async def test_runtime_flags_are_copied_from_admin_config_when_missing(fresh_dsn: str, tmp_path: Path):
    before_029 = [m for m in load_migrations() if m.version < "029"]
    for migration in before_029:
        shutil.copy(migration.path, tmp_path)
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await migrate(conn, tmp_path)
        await conn.execute(
            "UPDATE app_admin_config SET value = value || $1::jsonb WHERE key = 'runtime_flags'",
            json.dumps({"onlyInAdminConfig": 42, "v3KillSwitch": True}))
        await migrate(conn)
        flags = json.loads(await conn.fetchval("SELECT get_runtime_flags()"))
        # app_runtime_state already had v3KillSwitch (false): the existing row wins
        assert flags == {**SPEC_FLAGS, "onlyInAdminConfig": 42}
        assert await conn.fetchval("SELECT count(*) FROM app_admin_config WHERE key = 'runtime_flags'") == 0
    finally:
        await conn.close()




async def _next_for(queue: asyncio.Queue[str], key: str) -> str:
    # other tests may change other keys meanwhile: wait for ours (the timeout only guards a hang)
    while True:
        payload = await asyncio.wait_for(queue.get(), timeout=5)
        if payload == key:
            return payload


@pytest.mark.parametrize(("table", "channel"), [
    ("app_runtime_state", "comptoir_runtime_flags"),
    ("app_admin_config", "comptoir_admin_config"),
])
async def test_changes_are_notified_with_their_key(pool: asyncpg.Pool, table: str, channel: str):
    key = unique("notify")
    queue: asyncio.Queue[str] = asyncio.Queue()

    def on_notify(conn: Any, pid: int, channel: str, payload: object) -> None:
        queue.put_nowait(str(payload))

    async with pool.acquire() as listener:
        await listener.add_listener(channel, on_notify)
        try:
            await pool.execute(f"INSERT INTO {table} (key, value) VALUES ($1, 'true')", key)
            assert await _next_for(queue, key) == key
            await pool.execute(f"UPDATE {table} SET value = 'false' WHERE key = $1", key)
            assert await _next_for(queue, key) == key
            await pool.execute(f"DELETE FROM {table} WHERE key = $1", key)
            assert await _next_for(queue, key) == key
        finally:
            await listener.remove_listener(channel, on_notify)


# --- HNSW and the match functions (029) -----------------------------------------------------------

@pytest.fixture
async def vector_conn(fresh_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    # a database of its own: the knowledge tables of the shared one belong to the RAG tests
    conn = await asyncpg.connect(fresh_dsn)
    await migrate(conn)
    await init_connection(conn)
    yield conn
    await conn.close()


def unit_vectors(count: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, dim)).astype(np.float32)
    normalised: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


async def _load_chunks(conn: asyncpg.Connection, table: str, vectors: np.ndarray) -> None:
    await conn.copy_records_to_table(
        table, columns=["content", "embedding", "source", "category"],
        records=[(f"chunk {i}", v, "test", "faq") for i, v in enumerate(vectors)])


async def test_match_app_chunks_uses_hnsw_and_finds_the_nearest(vector_conn: asyncpg.Connection):
    vectors = unit_vectors(1000, 384, seed=7)
    await _load_chunks(vector_conn, "app_knowledge_chunks", vectors)
    query = vectors[17] + 0.05 * unit_vectors(1, 384, seed=8)[0]
    await vector_conn.execute("SET enable_seqscan = off")  # force the index path on this small table
    plan = "\n".join(r[0] for r in await vector_conn.fetch(
        "EXPLAIN SELECT id FROM app_knowledge_chunks ORDER BY embedding <=> $1 LIMIT 10", query))
    assert "idx_knowledge_chunks_embedding" in plan

    rows = await vector_conn.fetch("SELECT * FROM match_app_chunks($1, 10, 0.0)", query)
    assert rows[0]["content"] == "chunk 17" and rows[0]["similarity"] > 0.99
    assert [r["similarity"] for r in rows] == sorted((r["similarity"] for r in rows), reverse=True)
    exact = np.argsort(-(vectors @ (query / np.linalg.norm(query))))[:10]
    recall = len({f"chunk {i}" for i in exact} & {r["content"] for r in rows}) / 10
    assert recall >= 0.9
    # random unit vectors are nearly orthogonal: only the near-duplicate passes the default threshold
    assert [r["content"] for r in await vector_conn.fetch("SELECT * FROM match_app_chunks($1)", query)] == [
        "chunk 17"]


async def test_match_count_beyond_ef_search_still_returns_enough_rows(vector_conn: asyncpg.Connection):
    await _load_chunks(vector_conn, "app_knowledge_chunks", unit_vectors(500, 384, seed=3))
    query = unit_vectors(1, 384, seed=4)[0]
    await vector_conn.execute("SET enable_seqscan = off")
    plain = await vector_conn.fetch(
        "SELECT id FROM app_knowledge_chunks ORDER BY embedding <=> $1 LIMIT 100", query)
    assert len(plain) == 40  # control: without iterative scans HNSW stops at ef_search rows
    assert len(await vector_conn.fetch("SELECT * FROM match_app_chunks($1, 100, -1)", query)) == 100


async def test_match_app_chunks_v2_keeps_its_signature_and_language(vector_conn: asyncpg.Connection):
    vectors = unit_vectors(200, 1024, seed=11)
    await _load_chunks(vector_conn, "app_knowledge_chunks_v2", vectors)
    rows = await vector_conn.fetch("SELECT * FROM match_app_chunks_v2($1, 3)", vectors[5])
    assert [(r["content"], r["language"]) for r in rows] == [("chunk 5", "fr")]
    assert list(rows[0].keys()) == ["id", "content", "source", "category", "language", "similarity"]
