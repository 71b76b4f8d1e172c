"""Workflows: event published → first step started, against a bare broker hop in the same run; then
runs per minute with a no-op (`log`) step: a burst (capacity) and a steady rate (p99 start delay).

The service runs for real (consumer, inbox, executor leasing runs from Postgres, outbox relay). Each
event is published once to the events exchange, where two queues receive it: the workflows trigger
queue and a bare aio-pika consumer (the baseline: the same message, the same broker, no work).
Target: p50 event → first step started ≤ 50 ms.

    .venv/bin/python -m bench.workflows_engine [--latency-events 200] [--sustained-events 3000] [--paced-rate 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg

from bench._common import bench_database, bench_settings, write_result
from libs.common.broker import Names, declare_event_queue, declare_events_exchange
from libs.common.db import create_pool
from libs.common.events.chat import LeadCaptured
from libs.common.events.workflows import WorkflowDefinition
from libs.common.logging import configure_logging
from libs.common.messages import Envelope
from libs.common.outbox import amqp_message
from libs.common.settings import Settings
from libs.mail import MailSettings
from services.workflows import repo
from services.workflows.app import deps_of, svc
from services.workflows.config import WorkflowsSettings
from services.workflows.deps import Workflows


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": _pct(values, 0.5), "p95_ms": _pct(values, 0.95), "p99_ms": _pct(values, 0.99),
            "mean_ms": round(statistics.fmean(values), 2)}


def _event(i: int) -> Envelope:
    return Envelope.wrap(LeadCaptured(lead_id=f"L{i}", session_id=f"s{i}", email=f"l{i}@bench.test", score=1,
                                      created=True), source="bench")


async def _workflow(wf: Workflows, name: str, concurrency: int) -> None:
    """The only enabled workflow, bound to its event (as a `workflows.create` request would do)."""
    pool = wf.pool
    defn = WorkflowDefinition.model_validate({
        "name": name, "trigger_event": "lead.captured", "settings": {"concurrency": concurrency},
        "steps": [{"type": "log", "config": {"message": "lead {{ event.lead_id }}"}}]})
    async with pool.acquire() as conn:
        await conn.execute("UPDATE app_workflows SET enabled = false")
        assert await repo.insert_workflow(conn, defn, datetime.now(UTC)) is not None
    await wf.bindings.bind([defn.trigger_event])


async def _wait_runs(pool: asyncpg.Pool, name: str, n: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = await pool.fetchval("SELECT count(*) FROM app_workflow_runs WHERE workflow_name = $1 "
                                   "AND status = 'completed'", name)
        if done >= n:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"only part of the {n} runs of {name} completed in {timeout_s} s")


async def latency(settings: Settings, wf: Workflows, channel: aio_pika.abc.AbstractChannel,
                  n: int) -> dict[str, Any]:
    name, pool = "bench-latency", wf.pool
    await _workflow(wf, name, 8)
    exchange = await declare_events_exchange(channel, Names(settings))
    bare = settings.queue("bench.bare_hop")
    await declare_event_queue(channel, Names(settings), bare, ["lead.captured"])
    queue = await channel.get_queue(bare)
    arrived: dict[str, float] = {}

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        arrived[str(message.message_id)] = time.time()
        await message.ack()
    tag = await queue.consume(on_message)
    sent: dict[str, float] = {}
    for i in range(n + 20):
        env = _event(i)
        sent[str(env.id)] = time.time()
        await exchange.publish(amqp_message(env), routing_key=env.type, mandatory=True)
        await asyncio.sleep(0.03)  # one at a time: latency, not load
    await _wait_runs(pool, name, n + 20, 60)
    await queue.cancel(tag)
    rows = await pool.fetch("SELECT trigger_ref, first_step_at FROM app_workflow_runs WHERE workflow_name = $1", name)
    first = {r["trigger_ref"]: r["first_step_at"].timestamp() for r in rows}
    ids = list(sent)[20:]  # the first 20 warm the pool and the caches
    engine = [(first[i] - sent[i]) * 1000 for i in ids]
    hop = [(arrived[i] - sent[i]) * 1000 for i in ids]
    return {"events": n, "event_to_first_step": _summary(engine), "bare_broker_hop": _summary(hop),
            "target": "p50 event -> first step started <= 50 ms",
            "target_met": _pct(engine, 0.5) <= 50}


async def sustained(settings: Settings, wf: Workflows, channel: aio_pika.abc.AbstractChannel,
                    n: int) -> dict[str, Any]:
    name, pool = "bench-sustained", wf.pool
    await _workflow(wf, name, 100)
    await channel.queue_delete(settings.queue("bench.bare_hop"))
    exchange = await declare_events_exchange(channel, Names(settings))
    started = time.time()
    for i in range(0, n, 100):
        batch = [_event(100_000 + j) for j in range(i, min(n, i + 100))]
        await asyncio.gather(*(exchange.publish(amqp_message(e), routing_key=e.type, mandatory=True) for e in batch))
    await _wait_runs(pool, name, n, 600)
    row: Any = await pool.fetchrow("SELECT max(finished_at) AS last FROM app_workflow_runs WHERE workflow_name = $1",
                                   name)
    elapsed = row["last"].timestamp() - started
    delays = [r["d"] for r in await pool.fetch(
        "SELECT EXTRACT(EPOCH FROM first_step_at - scheduled_at) * 1000 AS d FROM app_workflow_runs "
        "WHERE workflow_name = $1", name)]
    return {"runs": n, "seconds": round(elapsed, 1), "runs_per_min": round(n / elapsed * 60),
            "start_delay_under_load": _summary([float(d) for d in delays]),
            "note": "every event published at once: the start delay includes the queue of runs waiting"}


async def paced(settings: Settings, wf: Workflows, channel: aio_pika.abc.AbstractChannel, rate: float,
                seconds: float) -> dict[str, Any]:
    """A steady load below capacity: the start delay a run sees when the service keeps up."""
    name, pool = "bench-paced", wf.pool
    await _workflow(wf, name, 100)
    exchange = await declare_events_exchange(channel, Names(settings))
    n = int(rate * seconds)
    began = time.monotonic()
    for i in range(n):
        env = _event(500_000 + i)
        await exchange.publish(amqp_message(env), routing_key=env.type, mandatory=True)
        await asyncio.sleep(max(0.0, began + (i + 1) / rate - time.monotonic()))
    await _wait_runs(pool, name, n, 120)
    delays = [float(r["d"]) for r in await pool.fetch(
        "SELECT EXTRACT(EPOCH FROM first_step_at - scheduled_at) * 1000 AS d FROM app_workflow_runs "
        "WHERE workflow_name = $1", name)]
    return {"runs": n, "rate_per_s": rate, "runs_per_min": round(rate * 60), "start_delay": _summary(delays)}


async def main(latency_events: int, sustained_events: int, paced_rate: float) -> None:
    configure_logging("WARNING", json=False)
    async with bench_database() as dsn:
        settings = bench_settings(dsn)
        pool = await create_pool(settings, min_size=2, max_size=20)
        cfg = WorkflowsSettings(_env_file=None, poll_interval_s=1.0, max_parallel_runs=32)
        deps = {"workflows_settings": cfg, "mail_settings": MailSettings(_env_file=None, host=None),
                "scheduler": False, "replica": f"bench-{uuid.uuid4().hex[:4]}"}
        connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
        try:
            async with svc.running(settings, pool, deps=deps) as ctx:
                channel = await connection.channel(publisher_confirms=True)
                first = await latency(settings, deps_of(ctx), channel, latency_events)
                second = await sustained(settings, deps_of(ctx), channel, sustained_events)
                third = await paced(settings, deps_of(ctx), channel, paced_rate, 30.0)
        finally:
            await connection.close()
            await pool.close()
    write_result("workflows_engine", {"latency": first, "burst": second, "steady": third})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-events", type=int, default=200)
    parser.add_argument("--sustained-events", type=int, default=3000, help="the burst's size")
    parser.add_argument("--paced-rate", type=float, default=30.0, help="events per second of the steady phase")
    args = parser.parse_args()
    asyncio.run(main(args.latency_events, args.sustained_events, args.paced_rate))
