"""Agents service wiring: the registry, objectives, runs and approvals requests, the step consumer
(one step of a run per `agents.run.advance` message, services/agents/runner.py) and the background
jobs (recovery of runs whose worker died, expiry of approvals).

Tests and `comptoir up` may pass `deps={"agents_settings": AgentsSettings(...), "llm_settings":
LLMSettings(...), "mail_settings": MailSettings(...)}` to `svc.running(...)`.
The super chat's requests (`agents.admin_chat`, `agents.get_admin_chat`) are registered by
services/agents/superchat.py (`register(svc)`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from libs.common.db import create_pool
from libs.common.errors import RemoteError
from libs.common.events.agents import AdvanceRun
from libs.common.llm import LLMClient, LLMSettings
from libs.common.logging import get_logger
from libs.common.service import HandlerContext, ServiceApp
from libs.mail import MailSettings
from services.agents import approvals, handlers, jobs, maintenance, runner, superchat
from services.agents.config import AgentsSettings
from services.agents.deps import AgentsDeps, StepPublisher
from services.agents.registry import RegistryCache

log = get_logger(__name__)
STEP_CONCURRENCY = AgentsSettings().step_concurrency  # the prefetch of agents.runs (read once, at import)


async def build_deps(ctx: HandlerContext) -> AgentsDeps:
    settings: AgentsSettings = ctx.deps.get("agents_settings") or AgentsSettings()
    llm_settings: LLMSettings = ctx.deps.get("llm_settings") or LLMSettings()
    mail: MailSettings = ctx.deps.get("mail_settings") or MailSettings()
    pool = await create_pool(ctx.settings, min_size=1, max_size=settings.step_concurrency * 2 + 4)
    deps = AgentsDeps(settings=settings, llm=LLMClient(llm_settings), mail=mail, pool=pool, rpc=ctx.rpc,
                      steps=await StepPublisher.open(ctx.settings),
                      registry=RegistryCache(pool, settings.registry_cache_s))
    deps.tasks.extend(jobs.start_jobs(deps))
    log.info("agents_ready", llm=llm_settings.configured, mail=mail.configured, lease_s=settings.lease_s)
    return deps


async def close_deps(deps: AgentsDeps) -> None:
    tasks: list[Any] = list(deps.tasks)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await deps.llm.aclose()
    if deps.steps is not None:
        await deps.steps.close()
    await deps.pool.close()


H = TypeVar("H", bound=Callable[..., Awaitable[Any]])


def bad_values_refused(handler: H) -> H:
    """A value Postgres cannot hold (a NUL character in a title, in edited arguments) is the caller's
    input: `bad_request` (400 at the gateway), not an internal error."""
    @functools.wraps(handler)
    async def guarded(*args: Any) -> Any:
        try:
            return await handler(*args)
        except asyncpg.exceptions.DataError as exc:
            raise RemoteError("bad_request", f"a value cannot be stored: {type(exc).__name__}") from exc
    return guarded  # type: ignore[return-value]


async def advance_run(message: AdvanceRun, ctx: HandlerContext, deps: AgentsDeps) -> None:
    await runner.advance(message, deps)


svc = ServiceApp("agents", deps=build_deps, close=close_deps)
maintenance.register(svc)  # app_agent_events (prune_agent_events) in `agents.maintenance.prune`
svc.on_request("agents.list_agents", read_only=True)(handlers.list_agents)
svc.on_request("agents.create_objective", writes=True)(bad_values_refused(handlers.create_objective))
svc.on_request("agents.start_run", writes=True)(bad_values_refused(handlers.start_run))
svc.on_request("agents.list_runs", read_only=True)(handlers.list_runs)
svc.on_request("agents.get_run", read_only=True)(handlers.get_run)
svc.on_request("agents.cancel_run", writes=True)(bad_values_refused(handlers.cancel_run))
svc.on_request("agents.list_approvals", read_only=True)(approvals.list_approvals)
svc.on_request("agents.decide_approval", writes=True)(bad_values_refused(approvals.decide))
# one step per message; the run's lease (not the inbox) keeps two workers off one run
svc.on_event("agents.run.advance", queue="agents.runs", prefetch=STEP_CONCURRENCY)(advance_run)
superchat.register(svc)  # the owner's super chat (lane A2)
