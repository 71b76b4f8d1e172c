"""The executor: every replica leases due runs from `app_workflow_runs` and drives them.

Woken by `NOTIFY comptoir_workflow_runs` (a new run, a run that finished and freed a slot, a delay
that started) with a polling fallback, it claims:
- runs to resume (a retry's backoff or a `delay` is over, or a replica died and its lease expired);
- queued runs to start, holding each workflow's row lock while it counts its running runs, so
  `settings.concurrency` holds across replicas, and starting at most one per `settings.rate_limit_ms`
  (the later ones get a `resume_at`).
A started run gets `workflow.run.started` in the transaction that claims it. A run is driven by
`runner.RunDriver`; the lease is renewed every third of `WORKFLOWS_LEASE_S` while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections import defaultdict
from typing import Any

import asyncpg

from libs.common.db import Conn, connect
from libs.common.events.workflows import WorkflowRunStarted
from libs.common.logging import get_logger
from libs.common.outbox import add_event
from libs.common.settings import Settings
from services.workflows import repo
from services.workflows.deps import Workflows
from services.workflows.runner import Fault, LeaseLost, RunDriver

log = get_logger(__name__)

RESUMABLE = f"""
UPDATE app_workflow_runs r SET status = 'running', lease_owner = $2, lease_until = $3, resume_at = NULL,
       updated_at = $1
WHERE r.id IN (SELECT id FROM app_workflow_runs
               WHERE status IN ('running', 'waiting') AND (resume_at IS NULL OR resume_at <= $1)
                 AND (lease_until IS NULL OR lease_until < $1)
               ORDER BY resume_at NULLS FIRST LIMIT $4 FOR UPDATE SKIP LOCKED)
RETURNING {repo.RUN_COLUMNS}"""
# the oldest queued runs, at most $3 per workflow: a backlog of one workflow held back by its
# concurrency never hides the runs of the others
QUEUED = """
SELECT r.id, r.workflow_id FROM app_workflow_runs r
WHERE r.id IN (SELECT id FROM (SELECT id, created_at,
                                      row_number() OVER (PARTITION BY workflow_id ORDER BY created_at) AS nth
                               FROM app_workflow_runs
                               WHERE status = 'queued' AND (resume_at IS NULL OR resume_at <= $1)) q
               WHERE q.nth <= $3 ORDER BY q.created_at LIMIT $2)
ORDER BY r.created_at FOR UPDATE SKIP LOCKED"""
LOCK_WORKFLOWS = "SELECT id, settings, last_run_at FROM app_workflows WHERE id = ANY($1) ORDER BY id FOR UPDATE"
RUNNING_COUNTS = """
SELECT workflow_id, count(*) AS n FROM app_workflow_runs
WHERE workflow_id = ANY($1) AND status = 'running' GROUP BY workflow_id"""
START = f"""
UPDATE app_workflow_runs SET status = 'running', lease_owner = $2, lease_until = $3, started_at = $1,
       resume_at = NULL, updated_at = $1
WHERE id = ANY($4) RETURNING {repo.RUN_COLUMNS}"""
HOLD = "UPDATE app_workflow_runs SET resume_at = $2 WHERE id = ANY($1)"
MARK_STARTED = "UPDATE app_workflows SET last_run_at = $2, last_run_status = 'running' WHERE id = ANY($1)"
RENEW = "UPDATE app_workflow_runs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2"


def _setting(settings: Any, key: str, default: int) -> int:
    value = (repo._json(settings) or {}).get(key, default)
    return int(value) if isinstance(value, int | float) else default


class Executor:
    def __init__(self, wf: Workflows, settings: Settings, *, fault: Fault | None = None) -> None:
        self.wf, self.settings, self.fault = wf, settings, fault
        self.active: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._facts: tuple[float, dict[str, str]] = (-1e9, {})

    @property
    def now(self) -> dt.datetime:
        return self.wf.env.clock.now()

    def wake(self, delay_s: float = 0.0) -> None:
        if delay_s <= 0:
            self._wake.set()
        else:
            asyncio.get_running_loop().call_later(delay_s + 0.005, self._wake.set)

    async def run(self) -> None:
        listener: asyncpg.Connection | None = None
        try:
            while True:
                if listener is None or listener.is_closed():
                    listener = await self._listen()
                try:
                    await self.pump()
                except (asyncpg.PostgresError, OSError) as exc:
                    log.warning("workflow_claim_failed", error=str(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.wf.cfg.poll_interval_s)
                self._wake.clear()
        finally:
            if listener is not None and not listener.is_closed():
                await listener.close()
            await self.stop()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn = await connect(self.settings)
            await conn.add_listener(repo.RUNS_CHANNEL, lambda *_: self._wake.set())
            return conn
        except Exception as exc:  # polling still works without it
            log.warning("workflow_listen_failed", error=str(exc))
            return None

    async def stop(self) -> None:
        for task in self.active:
            task.cancel()
        await asyncio.gather(*self.active, return_exceptions=True)

    async def drain(self) -> None:
        """Wait for the runs being driven now (tests, benchmarks)."""
        while self.active:
            await asyncio.gather(*self.active, return_exceptions=True)

    async def pump(self) -> int:
        """Claim what is due now and start driving it; returns how many runs were claimed."""
        room = self.wf.cfg.max_parallel_runs - len(self.active)
        if room <= 0:
            return 0
        async with self.wf.pool.acquire() as conn, conn.transaction():
            rows = list(await conn.fetch(RESUMABLE, self.now, self.wf.replica, self._lease_until(), room))
            rows += await self._start_queued(conn, room - len(rows))
        for row in rows:
            task = asyncio.create_task(self._drive(row), name=f"workflow-run-{row['id']}")
            self.active.add(task)
            task.add_done_callback(self._done)
        return len(rows)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.active.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("workflow_driver_died", error=repr(task.exception()))
        self._wake.set()

    def _lease_until(self) -> dt.datetime:
        return self.now + dt.timedelta(seconds=self.wf.cfg.lease_s)

    async def _start_queued(self, conn: Conn, room: int) -> list[asyncpg.Record]:
        if room <= 0:
            return []
        queued = await conn.fetch(QUEUED, self.now, room * 4, room)
        if not queued:
            return []
        by_workflow: dict[Any, list[Any]] = defaultdict(list)
        for row in queued:
            by_workflow[row["workflow_id"]].append(row["id"])
        workflows = await conn.fetch(LOCK_WORKFLOWS, list(by_workflow))
        running = {r["workflow_id"]: r["n"] for r in await conn.fetch(RUNNING_COUNTS, list(by_workflow))}
        chosen: list[Any] = []
        started: list[Any] = []
        for wf in workflows:
            ids = by_workflow[wf["id"]]
            allowed = max(0, _setting(wf["settings"], "concurrency", 4) - running.get(wf["id"], 0))
            spacing = _setting(wf["settings"], "rate_limit_ms", 0)
            if spacing:
                free_at = (wf["last_run_at"] or self.now) + dt.timedelta(milliseconds=spacing)
                if wf["last_run_at"] is not None and free_at > self.now:
                    allowed = 0
                    await conn.execute(HOLD, ids, free_at)
                    self.wake((free_at - self.now).total_seconds())
                allowed = min(allowed, 1)
            take = ids[: min(allowed, room - len(chosen))]
            chosen += take
            if take:
                started.append(wf["id"])
        if not chosen:
            return []
        rows = await conn.fetch(START, self.now, self.wf.replica, self._lease_until(), chosen)
        await conn.execute(MARK_STARTED, started, self.now)
        for row in rows:
            await add_event(conn, WorkflowRunStarted(
                run_id=str(row["id"]), workflow=row["workflow_name"], trigger_kind=row["trigger_kind"],
                trigger_ref=row["trigger_ref"], scheduled_at=row["scheduled_at"].isoformat(),
                started_at=self.now.isoformat()), source="workflows", aggregate_id=str(row["id"]))
        return list(rows)

    async def _drive(self, row: asyncpg.Record) -> None:
        heartbeat = asyncio.create_task(self._renew(row["id"]))
        try:
            context = await self.context(row)
            await RunDriver(self.wf, row, context, self.fault, self.wake).drive()
        except LeaseLost:
            log.warning("workflow_lease_lost", run_id=str(row["id"]))
        finally:
            heartbeat.cancel()

    async def _renew(self, run_id: Any) -> None:
        while True:
            await asyncio.sleep(self.wf.cfg.lease_s / 3)
            try:
                async with self.wf.pool.acquire() as conn:
                    await conn.execute(RENEW, run_id, self.wf.replica, self._lease_until())
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("workflow_lease_renew_failed", run_id=str(run_id), error=str(exc))

    async def facts(self) -> dict[str, str]:
        stamp, cached = self._facts
        if time.monotonic() - stamp < self.wf.cfg.facts_cache_s:
            return cached
        async with self.wf.pool.acquire() as conn:
            found = await repo.facts(conn)
        self._facts = (time.monotonic(), found)
        return found

    async def context(self, row: asyncpg.Record) -> dict[str, Any]:
        """What step templates see: the event, the trigger, earlier outputs, the shop's facts."""
        run_input = repo._json(row["input"]) or {}
        event = run_input.get("event") or {}
        settings = (repo._json(row["definition"]) or {}).get("settings") or {}
        data = event.get("data") or {}
        locale = data.get("locale") if data.get("locale") in ("fr", "en") else settings.get("locale", "fr")
        return {"event": data, "trigger": {"kind": row["trigger_kind"], "ref": row["trigger_ref"],
                                           "type": event.get("type"), "id": event.get("id"),
                                           "occurred_at": event.get("occurred_at"),
                                           "scheduled_at": row["scheduled_at"].isoformat()},
                "steps": dict(repo._json(row["outputs"]) or {}), "facts": await self.facts(),
                "shop": {"public_url": self.settings.public_base_url(), "timezone": self.settings.timezone},
                "workflow": {"name": row["workflow_name"], "locale": settings.get("locale", "fr")},
                "run": {"id": str(row["id"])},
                "locale": locale, "now": self.now.isoformat()}
