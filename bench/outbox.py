"""Events per second through outbox → relay → RabbitMQ (confirms), against raw aio-pika publishing.

Both paths publish the same envelopes, with publisher confirms, to the same topic exchange bound to
one quorum queue, in the same run. Target: the outbox path at least half the raw rate.

    .venv/bin/python -m bench.outbox [--events 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aio_pika
import asyncpg

from bench._common import bench_database, bench_settings, write_result
from libs.common.broker import Names, declare_event_queue, declare_events_exchange
from libs.common.db import create_pool
from libs.common.messages import Envelope, Message, message_type
from libs.common.outbox import INSERT_EVENT, OutboxRelay, amqp_message
from libs.common.settings import Settings

BATCH = 200


@message_type("bench.order_placed")
class OrderPlaced(Message):
    order: int
    amount: str
    note: str


def envelopes(n: int) -> list[Envelope]:
    return [Envelope.wrap(OrderPlaced(order=i, amount="49.90", note="x" * 200), source="bench",
                          session_id=f"s{i % 100}") for i in range(n)]


async def raw_publish(settings: Settings, envs: list[Envelope]) -> float:
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await declare_events_exchange(channel, Names(settings))
        started = time.perf_counter()
        for i in range(0, len(envs), BATCH):
            await asyncio.gather(*(exchange.publish(amqp_message(e), routing_key=e.type, mandatory=True)
                                   for e in envs[i:i + BATCH]))
        return len(envs) / (time.perf_counter() - started)


async def outbox_publish(settings: Settings, pool: asyncpg.Pool, envs: list[Envelope]) -> tuple[float, float]:
    """(end-to-end rate: commit in transactions of 100 while the relay runs, relay-only drain rate)."""
    relay = OutboxRelay(settings, pool, name="bench")
    task = asyncio.create_task(relay.run())
    started = time.perf_counter()
    async with pool.acquire() as conn:
        for i in range(0, len(envs), 100):
            async with conn.transaction():
                await conn.executemany(INSERT_EVENT, [
                    (e.id, e.session_id, e.type, e.model_dump(mode="json")) for e in envs[i:i + 100]])
    while relay.published < len(envs):
        await asyncio.sleep(0.005)
    end_to_end = len(envs) / (time.perf_counter() - started)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    # relay alone: events already committed, the relay drains them
    async with pool.acquire() as conn:
        await conn.executemany(INSERT_EVENT, [
            (e.id, e.session_id, e.type, e.model_dump(mode="json")) for e in envelopes(len(envs))])
    relay = OutboxRelay(settings, pool, name="bench")
    started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    while relay.published < len(envs):
        await asyncio.sleep(0.005)
    drain = len(envs) / (time.perf_counter() - started)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return end_to_end, drain


async def main(n: int) -> None:
    async with bench_database() as dsn:
        settings = bench_settings(dsn, OUTBOX_BATCH_SIZE=BATCH)
        pool = await create_pool(settings, min_size=2, max_size=5)
        connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
        channel = await connection.channel()
        queue = settings.queue("bench.sink")
        await declare_event_queue(channel, Names(settings), queue, ["bench.#"])
        try:
            envs = envelopes(n)
            await raw_publish(settings, envs[:500])  # warm-up
            raw = await raw_publish(settings, envs)
            end_to_end, drain = await outbox_publish(settings, pool, envs)
        finally:
            for name in (queue, f"{queue}.dlq", f"{queue}.retry", settings.queue("platform.unrouted")):
                await channel.queue_delete(name)
            for name in (settings.events_exchange, f"{settings.events_exchange}.dlx",
                         f"{settings.events_exchange}.unrouted"):
                await channel.exchange_delete(name)
            await connection.close()
            await pool.close()
    write_result("outbox", {
        "events": n,
        "raw_aio_pika_confirms_per_s": round(raw),
        "outbox_end_to_end_per_s": round(end_to_end),
        "outbox_relay_drain_per_s": round(drain),
        "ratio_end_to_end_vs_raw": round(end_to_end / raw, 3),
        "ratio_drain_vs_raw": round(drain / raw, 3),
        "target": "outbox end-to-end >= 0.5 x raw",
        "target_met": end_to_end / raw >= 0.5,
    })


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    asyncio.run(main(parser.parse_args().events))
