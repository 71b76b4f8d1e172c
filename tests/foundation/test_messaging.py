"""Outbox → relay → RabbitMQ → consumers, against the real broker and database."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import uuid
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest

from libs.common.broker import PARK_QUEUE_HEADER, PARK_REASON_HEADER, RETRY_HEADER, Names, connect
from libs.common.db import create_pool
from libs.common.errors import InvalidMessage, RemoteError, RequestTimeout
from libs.common.messages import Envelope, Message, message_type
from libs.common.outbox import OutboxRelay, add_event, amqp_message
from libs.common.rpc import RpcClient
from libs.common.service import HandlerContext, ServiceApp
from libs.common.settings import Settings
from tests.conftest import eventually, with_fresh_prefix


@message_type("testsvc.thing_happened")
class ThingHappened(Message):
    key: str
    n: int = 0


@message_type("testsvc.always_fails")
class AlwaysFails(Message):
    key: str


@message_type("testsvc.unusable")
class Unusable(Message):
    key: str


@message_type("testsvc.add")
class Add(Message):
    a: int
    b: int


@message_type("testsvc.sum")
class Sum(Message):
    total: int


@pytest.fixture
async def msettings(settings: Settings) -> Settings:
    # a per-test exchange and prefix so queues and relays of other tests do not interfere
    return with_fresh_prefix(settings, COMPTOIR_DELIVERY_LIMIT=3)


@pytest.fixture
async def effects(pool: asyncpg.Pool) -> AsyncIterator[str]:
    table = f"test_effects_{uuid.uuid4().hex[:8]}"
    await pool.execute(f"CREATE TABLE {table} (key TEXT, n INT, message_id UUID)")
    yield table
    await pool.execute(f"DROP TABLE {table}")


def build_service(table: str) -> ServiceApp:
    svc = ServiceApp("testsvc")

    @svc.on_event("testsvc.thing_happened", queue="testsvc.things")
    async def on_thing(event: ThingHappened, ctx: HandlerContext) -> None:
        assert ctx.conn is not None and ctx.envelope is not None
        await ctx.conn.execute(f"INSERT INTO {table} VALUES ($1, $2, $3)", event.key, event.n,
                               ctx.envelope.id)

    @svc.on_event("testsvc.always_fails", queue="testsvc.failing")
    async def on_fail(event: AlwaysFails, ctx: HandlerContext) -> None:
        raise ValueError(f"cannot handle {event.key}")

    @svc.on_event("testsvc.unusable", queue="testsvc.unusable")
    async def on_unusable(event: Unusable, ctx: HandlerContext) -> None:
        raise InvalidMessage(f"document {event.key} is empty")

    @svc.on_request("testsvc.add")
    async def add(req: Add, ctx: HandlerContext) -> Sum:
        if req.a < 0:
            raise RemoteError("bad_request", "a must be positive")
        return Sum(total=req.a + req.b)

    return svc


async def count(pool: asyncpg.Pool, table: str, key: str) -> int:
    return int(await pool.fetchval(f"SELECT count(*) FROM {table} WHERE key = $1", key))


async def get_parked(settings: Settings, queue: str) -> aio_pika.abc.AbstractIncomingMessage | None:
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        dlq = await channel.get_queue(f"{Names(settings).queue(queue)}.dlq", ensure=True)
        for _ in range(100):
            msg = await dlq.get(fail=False)
            if msg is not None:
                await msg.ack()
                return msg
            await asyncio.sleep(0.1)
    return None


async def test_request_reply(msettings: Settings, pool: asyncpg.Pool, effects: str) -> None:
    async with build_service(effects).running(msettings, pool), \
            RpcClient(msettings, source="test") as rpc:
        results = await asyncio.gather(*(rpc.request("testsvc.add", Add(a=i, b=1), Sum) for i in range(50)))
        assert [r.total for r in results] == [i + 1 for i in range(50)]
        with pytest.raises(RemoteError) as err:
            await rpc.request("testsvc.add", Add(a=-1, b=1), Sum)
        assert err.value.code == "bad_request"


async def test_replies_are_not_returned_by_the_broker(msettings: Settings, pool: asyncpg.Pool,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    # RabbitMQ 3.10 hands back a mandatory message sent to a direct reply-to address as unroutable,
    # although it delivers it; aiormq logs each such return as an error (a logged error per reply)
    with caplog.at_level(logging.DEBUG, logger="aiormq"):
        async with build_service("unused").running(msettings, pool), \
                RpcClient(msettings, source="test") as rpc:
            results = await asyncio.gather(*(rpc.request("testsvc.add", Add(a=i, b=1), Sum) for i in range(20)))
            await asyncio.sleep(0.2)  # a return would arrive just after its reply
    assert [r.total for r in results] == [i + 1 for i in range(20)]
    returned = [r.getMessage() for r in caplog.records if "returning" in r.getMessage()]
    assert returned == []


async def test_request_to_absent_service_fails_fast(msettings: Settings) -> None:
    async with RpcClient(msettings, source="test") as rpc:
        with pytest.raises(RemoteError) as err:
            await rpc.request("testsvc.add", Add(a=1, b=1), Sum, timeout=5)
        assert err.value.code == "unavailable"


async def test_request_times_out(msettings: Settings, pool: asyncpg.Pool) -> None:
    svc = ServiceApp("slowsvc")

    @svc.on_request("testsvc.add")
    async def slow(req: Add, ctx: HandlerContext) -> Sum:
        await asyncio.sleep(2)
        return Sum(total=0)

    async with svc.running(msettings, pool), RpcClient(msettings, source="test") as rpc:
        with pytest.raises(RequestTimeout):
            await rpc.request("testsvc.add", Add(a=1, b=1), Sum, timeout=0.3)


async def test_outbox_event_is_consumed_once(msettings: Settings, pool: asyncpg.Pool, effects: str) -> None:
    key = uuid.uuid4().hex
    async with build_service(effects).running(msettings, pool):
        async with pool.acquire() as conn, conn.transaction():
            envelope = await add_event(conn, ThingHappened(key=key, n=1), source="test")
        await eventually(lambda: _has(pool, effects, key, 1))
        # a duplicate delivery of the same message (same envelope id) has no second effect
        connection = await aio_pika.connect(msettings.amqp_url.get_secret_value())
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(msettings.events_exchange)
            for _ in range(3):
                await exchange.publish(amqp_message(envelope), routing_key=envelope.type)
        await asyncio.sleep(1.0)
        assert await count(pool, effects, key) == 1


async def _has(pool: asyncpg.Pool, table: str, key: str, n: int) -> bool:
    return await count(pool, table, key) >= n


async def test_rolled_back_transaction_emits_nothing(msettings: Settings, pool: asyncpg.Pool) -> None:
    key = uuid.uuid4().hex
    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, ThingHappened(key=key), source="test")
            raise RuntimeError("state change failed")
    rows = await pool.fetchval("SELECT count(*) FROM app_outbox WHERE envelope->'data'->>'key' = $1", key)
    assert rows == 0


async def test_poison_message_is_parked_with_reason(msettings: Settings, pool: asyncpg.Pool,
                                                    effects: str) -> None:
    key = uuid.uuid4().hex
    async with build_service(effects).running(msettings, pool):
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, AlwaysFails(key=key), source="test")
        parked = await get_parked(msettings, "testsvc.failing")
    assert parked is not None, "poison message never reached the dead-letter queue"
    headers = parked.headers or {}
    assert f"cannot handle {key}" in str(headers[PARK_REASON_HEADER])
    assert headers[RETRY_HEADER] == msettings.delivery_limit
    assert str(headers[PARK_QUEUE_HEADER]).endswith("testsvc.failing")


async def test_handler_rejecting_a_message_parks_it_at_once(msettings: Settings, pool: asyncpg.Pool,
                                                            effects: str) -> None:
    key = uuid.uuid4().hex
    async with build_service(effects).running(msettings, pool):
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, Unusable(key=key), source="test")
        parked = await get_parked(msettings, "testsvc.unusable")
    assert parked is not None
    assert (parked.headers or {})[RETRY_HEADER] == 0
    assert f"document {key} is empty" in str((parked.headers or {})[PARK_REASON_HEADER])


@pytest.mark.parametrize("body", [b"not json", b'{"type": "testsvc.thing_happened"}',
                                  b'{"type": "nope.unknown", "source": "x", "data": {}}'])
async def test_malformed_message_is_parked_not_retried(msettings: Settings, pool: asyncpg.Pool,
                                                       effects: str, body: bytes) -> None:
    async with build_service(effects).running(msettings, pool):
        connection = await aio_pika.connect(msettings.amqp_url.get_secret_value())
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(msettings.events_exchange)
            await exchange.publish(aio_pika.Message(body), routing_key="testsvc.thing_happened")
        parked = await get_parked(msettings, "testsvc.things")
    assert parked is not None
    assert parked.body == body
    assert (parked.headers or {})[RETRY_HEADER] == 0
    assert str((parked.headers or {})[PARK_REASON_HEADER])


async def test_relay_killed_between_commit_and_publish_loses_nothing(
        msettings: Settings, pool: asyncpg.Pool, effects: str) -> None:
    keys = [uuid.uuid4().hex for _ in range(300)]
    svc = build_service(effects)
    svc.run_relay = False  # this test drives the relay itself
    async with svc.running(msettings, pool):
        relay = OutboxRelay(msettings, pool)
        task = asyncio.create_task(relay.run())
        async with pool.acquire() as conn:
            for chunk in range(0, len(keys), 50):
                async with conn.transaction():
                    for key in keys[chunk:chunk + 50]:
                        await add_event(conn, ThingHappened(key=key), source="test")
                if chunk == 100:
                    task.cancel()  # the relay dies with committed events not yet published
        await asyncio.gather(task, return_exceptions=True)
        restarted = asyncio.create_task(OutboxRelay(msettings, pool).run())
        try:
            await eventually(lambda: _all_done(pool, effects, keys), timeout=30)
        finally:
            restarted.cancel()
            await asyncio.gather(restarted, return_exceptions=True)
    per_key = await pool.fetch(f"SELECT key, count(*) AS c FROM {effects} GROUP BY key")
    assert all(row["c"] == 1 for row in per_key)


async def test_a_stopped_relay_hands_its_pool_connection_back_clean(msettings: Settings) -> None:
    """Pool connections skip asyncpg's reset on release: the relay itself drops its leader lock and
    LISTEN, whether it stops while leading or while waiting as a standby."""
    pool = await create_pool(msettings, min_size=2, max_size=2)
    try:
        for _ in range(2):
            task = asyncio.create_task(OutboxRelay(msettings, pool).run())
            await asyncio.sleep(0.5)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        async with pool.acquire() as first, pool.acquire() as second:  # every connection of the pool
            for conn in (first, second):
                assert await conn.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
                assert await conn.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()") == 0
    finally:
        await pool.close()


async def _all_done(pool: asyncpg.Pool, table: str, keys: list[str]) -> bool:
    return int(await pool.fetchval(f"SELECT count(DISTINCT key) FROM {table} WHERE key = ANY($1)",
                                   keys)) == len(keys)


def _close_connections(name_prefix: str) -> int:
    out = subprocess.run(["rabbitmqctl", "list_connections", "pid", "client_properties", "-q",
                          "--no-table-headers"], capture_output=True, text=True, check=True,
                         timeout=30).stdout
    closed = 0
    for line in out.splitlines():
        pid, _, props = line.partition("\t")
        if f'{{"connection_name","{name_prefix}' in props:
            subprocess.run(["rabbitmqctl", "close_connection", pid, "test: connection dropped"],
                           capture_output=True, check=False, timeout=30)
            closed += 1
    return closed


async def test_broker_connection_drop_recovers_and_loses_nothing(
        msettings: Settings, pool: asyncpg.Pool, effects: str) -> None:
    keys = [uuid.uuid4().hex for _ in range(200)]
    svc = build_service(effects)
    svc.name = f"dropsvc{uuid.uuid4().hex[:6]}"
    async with svc.running(msettings, pool):
        async with pool.acquire() as conn:
            for i, key in enumerate(keys):
                async with conn.transaction():
                    await add_event(conn, ThingHappened(key=key, n=i), source="test")
                if i == 80:
                    # the service's consumer, RPC and outbox-relay connections all drop at once
                    closed = await asyncio.to_thread(_close_connections, svc.name)
                    assert closed >= 3
        await eventually(lambda: _all_done(pool, effects, keys), timeout=60)
        # after recovery the request consumer serves again
        async with RpcClient(msettings, source="test") as rpc:
            assert (await rpc.request("testsvc.add", Add(a=2, b=3), Sum)).total == 5


async def test_envelope_round_trip() -> None:
    env = Envelope.wrap(ThingHappened(key="k", n=2), source="x", session_id="s")
    again = Envelope.decode(env.model_dump_json())
    assert again == env
    assert again.payload() == ThingHappened(key="k", n=2)


async def test_replay_into_a_fresh_consumer_rebuilds_the_same_state(
        msettings: Settings, pool: asyncpg.Pool, effects: str) -> None:
    from libs.common.replay import queue_name, replay

    keys = [uuid.uuid4().hex for _ in range(20)]
    async with build_service(effects).running(msettings, pool):
        async with pool.acquire() as conn, conn.transaction():
            for i, key in enumerate(keys):
                await add_event(conn, ThingHappened(key=key, n=i), source="test")
        await eventually(lambda: _all_done(pool, effects, keys))
        original = await pool.fetch(f"SELECT key, n FROM {effects} ORDER BY key")
        # a fresh consumer: its state and its inbox are gone
        await pool.execute(f"DELETE FROM {effects}")
        await pool.execute("DELETE FROM app_inbox WHERE consumer = 'testsvc.things'")
        replayed = await replay(msettings, pool, queue_name(msettings, "testsvc.things"),
                                types=["testsvc.thing_happened"])
        assert replayed >= len(keys)
        await eventually(lambda: _all_done(pool, effects, keys))
        await asyncio.sleep(0.5)
        rebuilt = await pool.fetch(f"SELECT key, n FROM {effects} WHERE key = ANY($1) ORDER BY key", keys)
        assert [tuple(r) for r in rebuilt] == [tuple(r) for r in original if r["key"] in keys]
        # replaying again into the same consumer has no second effect
        await replay(msettings, pool, queue_name(msettings, "testsvc.things"), types=["testsvc.thing_happened"])
        await asyncio.sleep(1.0)
        assert int(await pool.fetchval(f"SELECT count(*) FROM {effects} WHERE key = ANY($1)", keys)) == len(keys)


async def test_overlapping_connects_leave_the_broker_libraries_logging(msettings: Settings) -> None:
    # connects silence aio-pika and aiormq while they run; overlapping ones must not leave them silent
    loggers = [logging.getLogger(name) for name in ("aio_pika", "aiormq")]
    before = [logger.level for logger in loggers]
    connections = await asyncio.gather(*(connect(msettings, name=f"test-{i}") for i in range(4)))
    try:
        assert [logger.level for logger in loggers] == before
        assert all(logger.getEffectiveLevel() < logging.CRITICAL for logger in loggers)
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))
