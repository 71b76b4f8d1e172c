"""Cron accuracy: N workflows due every minute, two replicas of the service, over two minutes.

Each workflow is `* * * * *` with a `log` step. Two `ServiceApp` runtimes (two replicas, each with its
scheduler and executor) run on the same database and broker. Measured per tick: fired − scheduled
(the claim, i.e. the run's creation) and first step started − scheduled; each (workflow, tick) must
have exactly one run. Target: fired − scheduled p99 ≤ 1 s, each tick fired exactly once. Baseline in
the same run: how late `asyncio.sleep` itself wakes on this machine at that moment.

    .venv/bin/python -m bench.workflows_cron [--workflows 200] [--minutes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench._common import bench_database, bench_settings, write_result
from bench.workflows_engine import _summary
from libs.common.db import create_pool
from libs.common.events.workflows import WorkflowDefinition
from libs.common.logging import configure_logging
from libs.mail import MailSettings
from services.workflows import repo
from services.workflows.app import svc
from services.workflows.config import WorkflowsSettings


async def _workflows(pool: asyncpg.Pool, n: int, since: datetime) -> None:
    async with pool.acquire() as conn:
        await conn.execute("UPDATE app_workflows SET enabled = false")
        for i in range(n):
            defn = WorkflowDefinition.model_validate({
                "name": f"cron-{i:04d}", "trigger_cron": "* * * * *", "settings": {"concurrency": 2},
                "steps": [{"type": "log", "config": {"message": "tick {{ trigger.scheduled_at }}"}}]})
            assert await repo.insert_workflow(conn, defn, since) is not None
        await conn.execute("UPDATE app_workflows SET cron_since = $1 WHERE name LIKE 'cron-%'", since)


async def _sleep_lateness(seconds: float) -> list[float]:
    """The event loop's own lateness waking from a sleep, sampled while the schedulers run."""
    late: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        asked = time.monotonic() + 0.25
        await asyncio.sleep(0.25)
        late.append((time.monotonic() - asked) * 1000)
    return late


async def main(n: int, minutes: int) -> None:
    configure_logging("WARNING", json=False)
    async with bench_database() as dsn:
        settings = bench_settings(dsn)
        pool = await create_pool(settings, min_size=2, max_size=30)
        now = datetime.now(UTC)
        await _workflows(pool, n, now)
        first_tick = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        ticks = [first_tick + timedelta(minutes=m) for m in range(minutes)]
        cfg = WorkflowsSettings(_env_file=None, max_parallel_runs=64)
        mail = MailSettings(_env_file=None, host=None)
        try:
            async with svc.running(settings, pool, deps={"workflows_settings": cfg, "mail_settings": mail,
                                                         "replica": "replica-a", "seed": False}), \
                    svc.running(settings, pool, deps={"workflows_settings": cfg, "mail_settings": mail,
                                                      "replica": "replica-b", "seed": False}):
                wait = (ticks[-1] - datetime.now(UTC)).total_seconds() + 5
                lateness = await _sleep_lateness(wait)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and await pool.fetchval(
                        "SELECT count(*) FROM app_workflow_runs WHERE status <> 'completed'"):
                    await asyncio.sleep(0.5)
            rows = await pool.fetch(
                "SELECT workflow_name, scheduled_at, created_at, first_step_at, status FROM app_workflow_runs "
                "WHERE workflow_name LIKE 'cron-%' AND scheduled_at = ANY($1)", ticks)
            claims = await pool.fetch("SELECT claimed_by, count(*) AS n FROM app_workflow_cron_ticks "
                                      "WHERE tick_at = ANY($1) GROUP BY claimed_by", ticks)
        finally:
            await pool.close()
    per_tick: dict[tuple[str, Any], int] = {}
    for r in rows:
        per_tick[(r["workflow_name"], r["scheduled_at"])] = per_tick.get((r["workflow_name"], r["scheduled_at"]), 0) + 1
    fired = [(r["created_at"] - r["scheduled_at"]).total_seconds() * 1000 for r in rows]
    started = [(r["first_step_at"] - r["scheduled_at"]).total_seconds() * 1000 for r in rows if r["first_step_at"]]
    expected = n * len(ticks)
    exactly_once = len(per_tick) == expected and all(v == 1 for v in per_tick.values())
    write_result("workflows_cron", {
        "workflows": n, "ticks": [t.isoformat() for t in ticks], "replicas": 2,
        "runs_expected": expected, "runs_found": len(rows), "each_tick_fired_exactly_once": exactly_once,
        "claims_by_replica": {r["claimed_by"]: r["n"] for r in claims},
        "fired_minus_scheduled": _summary(fired), "first_step_minus_scheduled": _summary(started),
        "baseline_asyncio_sleep_lateness": _summary(lateness),
        "target": "fired - scheduled p99 <= 1000 ms, each tick fired exactly once",
        "target_met": exactly_once and _summary(fired)["p99_ms"] <= 1000,
    })


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--minutes", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.workflows, args.minutes))
