"""The agents service's background jobs, on every replica (each safe to run on several at once):
recovery of runs whose worker died or whose step message was lost, and the expiry of approvals."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from libs.common.logging import get_logger
from services.agents import approvals, facts, repo
from services.agents.deps import AgentsDeps

log = get_logger(__name__)


async def recover_stalled(deps: AgentsDeps) -> int:
    """Send a new step message to each running run whose lease lapsed or that nobody moved for
    `stall_s`; the message's sequence number makes any copy of it harmless."""
    sent = 0
    async with deps.pool.acquire() as conn, conn.transaction():
        for row in await conn.fetch(repo.STALLED_RUNS, deps.settings.stall_s):
            await conn.execute(repo.TOUCH_RUN, row["id"], row["seq"])
            await facts.advance(conn, row["id"], row["seq"])
            sent += 1
    if sent:
        log.info("agent_runs_recovered", count=sent)
    return sent


async def every(interval_s: float, name: str, job: Callable[[], Awaitable[int]]) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await job()
        except Exception as exc:  # a database hiccup must not end the job
            log.warning("agent_job_failed", job=name, error=str(exc))


def start_jobs(deps: AgentsDeps) -> list[asyncio.Task[None]]:
    cfg = deps.settings
    return [asyncio.create_task(every(cfg.recovery_interval_s, "recover_stalled", lambda: recover_stalled(deps))),
            asyncio.create_task(every(cfg.approval_sweep_interval_s, "expire_approvals",
                                      lambda: approvals.expire_due(deps.pool)))]
