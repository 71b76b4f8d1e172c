"""Exactly-once requests (`writes=True`): the request id is claimed in the transaction of the effect,
a repeat gets the stored reply, a repeat while the first run is going gets `in_progress`, a failed
run leaves nothing, and a run that was taken over rolls back. Real broker, real database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from libs.common import requestlog
from libs.common.errors import RemoteError
from libs.common.messages import Message, message_type
from libs.common.rpc import RpcClient
from libs.common.service import IN_PROGRESS, HandlerContext, ServiceApp
from libs.common.settings import Settings
from tests.conftest import with_fresh_prefix


@message_type("idemtest.put")
class Put(Message):
    key: str
    fail: bool = False
    wait: bool = False


@message_type("idemtest.put_reply")
class PutReply(Message):
    key: str
    run: str  # a fresh value per run: a replay must give back the first run's


@pytest.fixture
async def table(pool: asyncpg.Pool) -> AsyncIterator[str]:
    name = f"test_idem_{uuid.uuid4().hex[:8]}"
    await pool.execute(f"CREATE TABLE {name} (key TEXT, run TEXT)")
    yield name
    await pool.execute(f"DROP TABLE {name}")


class Gate:
    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()


def build_service(table: str, gate: Gate) -> ServiceApp:
    svc = ServiceApp("idemtest", run_relay=False)

    @svc.on_request("idemtest.put", writes=True)
    async def put(req: Put, ctx: HandlerContext, deps: None) -> PutReply:
        run = uuid.uuid4().hex
        async with ctx.transaction() as conn:
            await conn.execute(f"INSERT INTO {table} VALUES ($1, $2)", req.key, run)
        if req.wait:  # the effect is written, not committed: it commits when the handler returns
            gate.entered.set()
            await gate.release.wait()
        if req.fail:
            raise RemoteError("refused", "asked to fail")
        return PutReply(key=req.key, run=run)

    return svc


async def rows(pool: asyncpg.Pool, table: str, key: str) -> list[str]:
    return [r["run"] for r in await pool.fetch(f"SELECT run FROM {table} WHERE key = $1", key)]


async def put(rpc: RpcClient, request_id: uuid.UUID, key: str, **flags: bool) -> PutReply:
    return await rpc.request("idemtest.put", Put(key=key, **flags), PutReply, timeout=10, request_id=request_id)


async def test_the_same_request_twice_acts_once_and_gets_the_same_reply(settings: Settings, pool: asyncpg.Pool,
                                                                         table: str) -> None:
    msettings = with_fresh_prefix(settings)
    async with build_service(table, Gate()).running(msettings, pool), RpcClient(msettings, source="t") as rpc:
        request_id = uuid.uuid4()
        first = await put(rpc, request_id, "a")
        again = await put(rpc, request_id, "a")
        other = await put(rpc, uuid.uuid4(), "a")  # another request: acts
    assert again == first and other.run != first.run
    assert sorted(await rows(pool, table, "a")) == sorted([first.run, other.run])
    row = await pool.fetchrow("SELECT status, reply FROM app_request_log WHERE service = 'idemtest' "
                              "AND request_id = $1", request_id)
    assert row is not None and row["status"] == "done" and row["reply"]["data"]["run"] == first.run


async def test_a_repeat_while_the_first_run_is_going_is_in_progress(settings: Settings, pool: asyncpg.Pool,
                                                                    table: str) -> None:
    msettings, gate = with_fresh_prefix(settings), Gate()
    async with build_service(table, gate).running(msettings, pool), RpcClient(msettings, source="t") as rpc:
        request_id = uuid.uuid4()
        first = asyncio.create_task(put(rpc, request_id, "b", wait=True))
        await asyncio.wait_for(gate.entered.wait(), 10)
        with pytest.raises(RemoteError) as busy:
            await put(rpc, request_id, "b", wait=True)
        assert busy.value.code == IN_PROGRESS
        assert await rows(pool, table, "b") == []  # the first run's effect is not committed yet
        gate.release.set()
        done = await first
        assert await put(rpc, request_id, "b") == done
    assert await rows(pool, table, "b") == [done.run]


async def test_a_failed_run_leaves_nothing_and_a_retry_runs_again(settings: Settings, pool: asyncpg.Pool,
                                                                  table: str) -> None:
    msettings = with_fresh_prefix(settings)
    async with build_service(table, Gate()).running(msettings, pool), RpcClient(msettings, source="t") as rpc:
        request_id = uuid.uuid4()
        with pytest.raises(RemoteError, match="asked to fail"):
            await put(rpc, request_id, "c", fail=True)
        assert await rows(pool, table, "c") == []  # its insert rolled back with the failure
        retried = await put(rpc, request_id, "c")
    assert await rows(pool, table, "c") == [retried.run]


async def test_a_run_taken_over_after_its_lease_rolls_back(settings: Settings, pool: asyncpg.Pool,
                                                           table: str) -> None:
    msettings, gate = with_fresh_prefix(settings, COMPTOIR_REQUEST_LEASE_S=0.3), Gate()
    async with build_service(table, gate).running(msettings, pool), RpcClient(msettings, source="t") as rpc:
        request_id = uuid.uuid4()
        slow = asyncio.create_task(put(rpc, request_id, "d", wait=True))
        await asyncio.wait_for(gate.entered.wait(), 10)
        await asyncio.sleep(0.5)  # the slow run's lease is over: it is presumed gone
        gate.release.set()  # from now on, runs do not wait (the retry below passes through)
        retry = await put(rpc, request_id, "d")
        late = await slow
    assert late == retry  # the slow run found itself superseded: it answers with the retry's reply
    assert await rows(pool, table, "d") == [retry.run]


async def test_a_broker_redelivery_takes_a_running_request_over(pool: asyncpg.Pool) -> None:
    request_id = uuid.uuid4()
    first = await requestlog.begin(pool, "idemtest", request_id, "idemtest.put", lease_s=60)
    assert isinstance(first, requestlog.Run)
    assert isinstance(await requestlog.begin(pool, "idemtest", request_id, "idemtest.put", lease_s=60),
                      requestlog.Busy)
    taken = await requestlog.begin(pool, "idemtest", request_id, "idemtest.put", lease_s=60, redelivered=True)
    assert isinstance(taken, requestlog.Run) and taken.token != first.token
    async with pool.acquire() as conn:
        assert not await requestlog.finish(conn, "idemtest", request_id, first.token, {"ok": True})
        assert await requestlog.finish(conn, "idemtest", request_id, taken.token, {"ok": True, "data": {}})
    assert await requestlog.begin(pool, "idemtest", request_id, "idemtest.put", lease_s=60) == requestlog.Done(
        {"ok": True, "data": {}})


async def test_prune_removes_old_completed_requests_only(pool: asyncpg.Pool) -> None:
    old, recent = uuid.uuid4(), uuid.uuid4()
    for request_id, age in ((old, 40), (recent, 1)):
        await pool.execute(
            "INSERT INTO app_request_log (service, request_id, request_type, status, token, lease_until, reply,"
            " created_at) VALUES ('idemprune', $1, 'x.y', 'done', $2, NOW(), '{}', NOW() - $3 * INTERVAL '1 day')",
            request_id, uuid.uuid4(), age)
    assert await requestlog.prune(pool, 30) >= 1
    left = {r["request_id"] for r in await pool.fetch(
        "SELECT request_id FROM app_request_log WHERE service = 'idemprune'")}
    assert left == {recent}
