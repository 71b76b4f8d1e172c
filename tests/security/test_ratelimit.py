"""Rate limits on the real check_rate_limit function: exact admission under concurrency, blocks."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from services.security import ratelimit
from services.security.config import Limit, RateLimits
from services.security.live import LiveConfig


async def one_call(pool: asyncpg.Pool, scopes: list[ratelimit.Scope]) -> bool:
    async with pool.acquire() as conn:
        decision, _ = await ratelimit.check(conn, scopes)
    return decision.allowed


async def test_exactly_n_admitted_with_60_concurrent_callers(sec_pool: asyncpg.Pool) -> None:
    limits = RateLimits(session=Limit(max=17, window_seconds=60))
    scopes = ratelimit.scopes_for(limits, f"s-{uuid.uuid4()}", None, None)
    for _ in range(3):  # three waves: the window holds, never more than N in total
        results = await asyncio.gather(*(one_call(sec_pool, scopes) for _ in range(60)))
        assert sum(results) == (17 if _ == 0 else 0)


async def test_over_limit_sets_a_block_that_is_honoured(sec_pool: asyncpg.Pool) -> None:
    limits = RateLimits(session=Limit(max=2, window_seconds=1, block_seconds=30))
    scopes = ratelimit.scopes_for(limits, f"s-{uuid.uuid4()}", None, None)
    async with sec_pool.acquire() as conn:
        first, _ = await ratelimit.check(conn, scopes)
        assert (first.allowed, first.limit, first.remaining, first.retry_after) == (True, 2, 1, 0)
        await ratelimit.check(conn, scopes)
        refused, raw = await ratelimit.check(conn, scopes)
        assert not refused.allowed and refused.scope == "session"
        assert refused.blocked_until is not None and 25 <= refused.retry_after <= 30
        first_refusal = ratelimit.refusals(scopes, raw)
        assert [scope for scope, _ in first_refusal] == ["session"]
        await asyncio.sleep(1.1)  # the window is over, the block is not
        still, raw = await ratelimit.check(conn, scopes)
        assert not still.allowed and still.blocked_until == refused.blocked_until
        assert ratelimit.refusals(scopes, raw) == first_refusal  # same block: one incident, not two


async def test_the_refusing_scope_decides(sec_pool: asyncpg.Pool) -> None:
    limits = RateLimits(session=Limit(max=10, window_seconds=60), ip=Limit(max=1, window_seconds=60))
    ip = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"
    async with sec_pool.acquire() as conn:
        ok, _ = await ratelimit.check(conn, ratelimit.scopes_for(limits, f"s-{uuid.uuid4()}", ip, None))
        assert ok.allowed and ok.scope == "ip" and ok.remaining == 0  # the tightest scope
        refused, _ = await ratelimit.check(conn, ratelimit.scopes_for(limits, f"s-{uuid.uuid4()}", ip, None))
        assert not refused.allowed and refused.scope == "ip" and refused.retry_after >= 1


async def test_a_check_commits_asynchronously_unless_the_transaction_already_wrote(sec_pool: asyncpg.Pool) -> None:
    """036: a lone check skips the WAL flush; a caller that wrote first keeps a durable commit."""
    async with sec_pool.acquire() as conn:
        assert await conn.fetchval("SHOW synchronous_commit") == "on"
        async with conn.transaction():
            await conn.fetchval("SELECT check_rate_limit($1, 5, 60)", f"t:{uuid.uuid4()}")
            assert await conn.fetchval("SHOW synchronous_commit") == "off"
        assert await conn.fetchval("SHOW synchronous_commit") == "on"  # local to that transaction
        wrote_first = conn.transaction()
        await wrote_first.start()
        try:
            await conn.execute("INSERT INTO app_admin_logs (level, category, message) VALUES ('info', 'test', 'x')")
            await conn.fetchval("SELECT check_rate_limit($1, 5, 60)", f"t:{uuid.uuid4()}")
            assert await conn.fetchval("SHOW synchronous_commit") == "on"
        finally:
            await wrote_first.rollback()


def test_admin_override_is_laid_over_the_defaults() -> None:
    defaults = RateLimits()
    merged = defaults.merged({"session": {"max": 3}, "routes": {"chat": {"max": 9, "window_seconds": 10}}})
    assert merged.session.max == 3 and merged.session.window_seconds == defaults.session.window_seconds
    assert merged.route("chat").max == 9 and merged.route("other") == defaults.route("default")
    with pytest.raises(ValueError):
        defaults.merged({"session": {"max": -1}})


async def test_live_config_reads_admin_limits_and_survives_a_bad_edit(sec_pool: asyncpg.Pool) -> None:
    live = LiveConfig(RateLimits(), ttl_s=0)
    try:
        await sec_pool.execute("UPDATE app_admin_config SET value = $1 WHERE key = 'rate_limits'",
                               {"session": {"max": 4}})
        assert (await live.get(sec_pool)).limits.session.max == 4
        await sec_pool.execute("UPDATE app_admin_config SET value = $1 WHERE key = 'rate_limits'",
                               {"session": {"max": "lots"}})
        assert (await live.get(sec_pool)).limits.session.max == RateLimits().session.max
    finally:
        await sec_pool.execute("UPDATE app_admin_config SET value = '{}' WHERE key = 'rate_limits'")
