"""Cron triggers: every replica evaluates every enabled cron workflow once a second; the replica
whose INSERT of the (workflow, tick) claim succeeds creates the run, in the same transaction.

A workflow's ticks count from its last claimed tick, or from `cron_since` (when it was created or
re-enabled). After downtime several ticks are due at once: the latest fires once, with the number
of missed ticks recorded (`catch_up: "once"`, the default), or none fires and the claim is kept so
they are not looked at again (`"skip"`, except a tick no later than WORKFLOWS_CRON_GRACE_S).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import asyncpg

from libs.common.logging import get_logger
from libs.common.settings import Settings
from services.workflows import cron, repo
from services.workflows.deps import Workflows

log = get_logger(__name__)


@dataclass(frozen=True)
class Due:
    workflow: asyncpg.Record
    tick: dt.datetime
    missed: int
    fire: bool


class CronScheduler:
    def __init__(self, wf: Workflows, settings: Settings) -> None:
        self.wf, self.settings = wf, settings
        self.zone = settings.zone()

    def _due(self, row: asyncpg.Record, now: dt.datetime) -> Due | None:
        since = row["cron_since"] or row["created_at"]
        baseline = max(t for t in (row["last_tick"], since) if t is not None)
        latest, count = cron.due_ticks(row["trigger_cron"], self.zone, baseline, now)
        if latest is None:
            return None
        settings = repo._json(row["settings"]) or {}
        policy = settings.get("catch_up") or self.wf.cfg.cron_catch_up
        on_time = count == 1 and (now - latest).total_seconds() <= self.wf.cfg.cron_grace_s
        return Due(row, latest, count - 1, on_time or policy == "once")

    async def tick_once(self) -> list[str]:
        """Claim and fire what is due now; returns the ids of the runs this replica created."""
        now = self.wf.env.clock.now()
        async with self.wf.pool.acquire() as conn:
            rows = await conn.fetch(repo.CRON_WORKFLOWS)
        due = [d for d in (self._due(row, now) for row in rows) if d is not None]
        if not due:
            return []
        created: list[str] = []
        async with self.wf.pool.acquire() as conn, conn.transaction():
            claimed = await conn.fetch(repo.CLAIM_TICK, [d.workflow["id"] for d in due], [d.tick for d in due],
                                       [self.wf.replica] * len(due), [now] * len(due), [d.missed for d in due])
            won = {(r["workflow_id"], r["tick_at"]) for r in claimed}
            for d in due:
                if (d.workflow["id"], d.tick) not in won or not d.fire:
                    continue
                run_id = await repo.insert_run(conn, d.workflow, "cron", d.tick.isoformat(),
                                               {"tick": d.tick.isoformat(), "missed": d.missed}, d.tick, now)
                if run_id is not None:
                    await conn.execute(repo.SET_TICK_RUN, d.workflow["id"], d.tick, run_id)
                    created.append(run_id)
        for d in due:
            if d.missed:
                log.info("workflow_cron_caught_up", workflow=d.workflow["name"], tick=d.tick.isoformat(),
                         missed=d.missed, fired=d.fire)
        return created

    def next_wake_s(self, rows: list[Any], now: dt.datetime) -> float:
        interval = self.wf.cfg.cron_interval_s
        soonest = min((cron.next_tick(r["trigger_cron"], self.zone, now) for r in rows), default=None)
        if soonest is None:
            return interval
        return max(0.001, min(interval, (soonest - now).total_seconds() + 0.002))

    async def run(self) -> None:
        while True:
            try:
                await self.tick_once()
                async with self.wf.pool.acquire() as conn:
                    rows = list(await conn.fetch(repo.CRON_WORKFLOWS))
                wait = self.next_wake_s(rows, self.wf.env.clock.now())
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("workflow_cron_failed", error=str(exc))
                wait = self.wf.cfg.cron_interval_s
            await asyncio.sleep(wait)
