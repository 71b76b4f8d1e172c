"""Workflows service wiring: requests, the event trigger queue, the executor and the cron scheduler.

Other modules of this service plug in with one line each at the end of this file, a
`register(svc, ...)` hook that may add request handlers and event consumers to `svc`, step types
to `STEPS` (the registry every replica's engine and the save-time check use), start-up and
shutdown hooks, periodic jobs and seeds (`add_seeds`). Lane B2 adds:
    social.register(svc, STEPS)      # publish_facebook / publish_instagram, the social.* requests
    maintenance.register(svc)        # the built-in maintenance workflows
Start-up code of a hook reads the service's deps with `deps_of(ctx)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

from libs.common.logging import get_logger
from libs.common.service import HandlerContext, ServiceApp
from services.workflows import handlers, maintenance, seeds, social
from services.workflows.config import WorkflowsSettings
from services.workflows.deps import Workflows, build_env
from services.workflows.engine import Executor
from services.workflows.scheduler import CronScheduler
from services.workflows.steps import builtin_registry
from services.workflows.triggers import STATIC_TYPES, TRIGGER_QUEUE, TriggerBindings, on_trigger_event

log = get_logger(__name__)

# the step types every replica knows: the built-in ones, and those the hooks below add
STEPS = builtin_registry()
_EXTRA_SEEDS: list[seeds.Seed] = []


def add_seeds(*items: seeds.Seed) -> None:
    _EXTRA_SEEDS.extend(items)


async def build_deps(ctx: HandlerContext) -> Workflows:
    wf: Workflows = ctx.deps.get("workflows") or _build(ctx)
    ctx.deps["_workflows_runtime"] = wf  # for the start-up hooks, which get the context only
    return wf


def _build(ctx: HandlerContext) -> Workflows:
    env = build_env(ctx.settings, ctx.pool, ctx.rpc, cfg=ctx.deps.get("workflows_settings"),
                    mail=ctx.deps.get("mail_settings"), llm=ctx.deps.get("llm_settings"), clock=ctx.deps.get("clock"))
    registry = ctx.deps.get("steps") or STEPS
    replica = ctx.deps.get("replica") or f"{socket.gethostname()}-{os.getpid()}"
    return Workflows(pool=ctx.pool, env=env, registry=registry, replica=replica,
                     bindings=TriggerBindings(ctx.settings))


async def close_deps(wf: Workflows) -> None:
    if isinstance(wf.bindings, TriggerBindings):
        await wf.bindings.close()
    await wf.close()


svc: ServiceApp[Workflows] = ServiceApp("workflows", deps=build_deps, close=close_deps)
svc.on_request("workflows.list", read_only=True)(handlers.list_workflows)
svc.on_request("workflows.get", read_only=True)(handlers.get_workflow)
svc.on_request("workflows.create", writes=True)(handlers.create_workflow)
svc.on_request("workflows.update", writes=True)(handlers.update_workflow)
svc.on_request("workflows.set_enabled", idempotent="setting the same state twice changes nothing")(
    handlers.set_enabled)
svc.on_request("workflows.delete", writes=True)(handlers.delete_workflow)
svc.on_request("workflows.run", writes=True)(handlers.run_workflow)
svc.on_request("workflows.list_runs", read_only=True)(handlers.list_runs)
svc.on_request("workflows.get_run", read_only=True)(handlers.get_run)
svc.on_event(*STATIC_TYPES, queue=TRIGGER_QUEUE, prefetch=32)(on_trigger_event)


def deps_of(ctx: HandlerContext) -> Workflows:
    """The service's deps, for hooks' start-up code (handlers get them as their third argument)."""
    wf: Workflows = ctx.deps["_workflows_runtime"]
    return wf


@svc.on_startup
async def start(ctx: HandlerContext) -> None:
    runtime = deps_of(ctx)
    cfg: WorkflowsSettings = runtime.cfg
    if ctx.deps.get("seed", True):
        async with runtime.pool.acquire() as conn:
            await seeds.seed(conn, runtime, [*seeds.SEEDS, *_EXTRA_SEEDS])
    if isinstance(runtime.bindings, TriggerBindings):
        await runtime.bindings.sync(runtime)
    tasks: list[asyncio.Task[None]] = []
    if ctx.deps.get("executor", True):
        executor = Executor(runtime, ctx.settings, fault=ctx.deps.get("fault"))
        ctx.deps["executor"] = executor
        tasks.append(asyncio.create_task(executor.run(), name="workflows-executor"))
    if ctx.deps.get("scheduler", True):
        scheduler = CronScheduler(runtime, ctx.settings)
        ctx.deps["scheduler"] = scheduler
        tasks.append(asyncio.create_task(scheduler.run(), name="workflows-cron"))
    ctx.deps["_workflows_tasks"] = tasks
    log.info("workflows_started", replica=runtime.replica, steps=runtime.registry.names(),
             max_parallel_runs=cfg.max_parallel_runs)


@svc.on_shutdown
async def stop(ctx: HandlerContext) -> None:
    tasks: list[asyncio.Task[None]] = ctx.deps.pop("_workflows_tasks", [])
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


# ---- hooks of the service's other modules (one line each) ------------------------------------------
social.register(svc, STEPS)  # the social.* requests, the publisher, publish_facebook / publish_instagram
maintenance.register(svc, STEPS)  # the `maintenance` step of the built-in maintenance workflows (080)
