"""Request handlers: workflow definitions, manual runs and the run history."""

from __future__ import annotations

import asyncpg

from libs.common.errors import RemoteError
from libs.common.events.workflows import (
    CreateWorkflow,
    DeleteWorkflow,
    GetWorkflow,
    GetWorkflowRun,
    ListWorkflowRuns,
    ListWorkflows,
    RunReply,
    RunWorkflow,
    SetWorkflowEnabled,
    UpdateWorkflow,
    WorkflowDefinition,
    WorkflowDeleted,
    WorkflowList,
    WorkflowReply,
    WorkflowRunList,
)
from libs.common.service import HandlerContext
from services.workflows import cron, repo
from services.workflows.deps import Workflows
from services.workflows.validate import WorkflowInvalid, check_definition


def _check(defn: WorkflowDefinition, wf: Workflows) -> None:
    try:
        check_definition(defn, wf.registry, wf.env)
    except WorkflowInvalid as exc:
        raise RemoteError("invalid_workflow", str(exc)) from exc


def _info(wf: Workflows, row: asyncpg.Record) -> WorkflowReply:
    next_run = None
    if row["enabled"] and row["trigger_cron"]:
        next_run = cron.next_tick(row["trigger_cron"], wf.env.settings.zone(), wf.env.clock.now())
    return WorkflowReply(workflow=repo.workflow_info(row, next_run))


async def list_workflows(req: ListWorkflows, ctx: HandlerContext, wf: Workflows) -> WorkflowList:
    async with wf.pool.acquire() as conn:
        rows = await conn.fetch(repo.LIST_WORKFLOWS, req.enabled)
    return WorkflowList(workflows=[_info(wf, row).workflow for row in rows])


async def get_workflow(req: GetWorkflow, ctx: HandlerContext, wf: Workflows) -> WorkflowReply:
    async with wf.pool.acquire() as conn:
        row = await conn.fetchrow(repo.SELECT_WORKFLOW, req.name)
        if row is None:
            raise RemoteError("not_found", f"no workflow named {req.name!r}")
        runs = await conn.fetch(repo.LIST_RUNS, req.name, None, 20)
    return WorkflowReply(workflow=_info(wf, row).workflow, runs=[repo.run_info(r) for r in runs])


async def create_workflow(req: CreateWorkflow, ctx: HandlerContext, wf: Workflows) -> WorkflowReply:
    _check(req.workflow, wf)
    async with ctx.transaction() as conn:
        row = await repo.insert_workflow(conn, req.workflow, wf.env.clock.now())
    if row is None:
        raise RemoteError("name_conflict", f"a workflow named {req.workflow.name!r} already exists")
    await wf.bindings.bind([req.workflow.trigger_event])
    return _info(wf, row)


async def update_workflow(req: UpdateWorkflow, ctx: HandlerContext, wf: Workflows) -> WorkflowReply:
    _check(req.workflow, wf)
    try:
        async with ctx.transaction() as conn:
            row = await conn.fetchrow(repo.UPDATE_WORKFLOW, req.name, *repo.definition_values(req.workflow),
                                      wf.env.clock.now())
            await conn.execute(f"NOTIFY {repo.WORKFLOWS_CHANNEL}")
    except asyncpg.UniqueViolationError as exc:
        raise RemoteError("name_conflict", f"a workflow named {req.workflow.name!r} already exists") from exc
    if row is None:
        raise RemoteError("not_found", f"no workflow named {req.name!r}")
    await wf.bindings.bind([req.workflow.trigger_event])
    return _info(wf, row)


async def set_enabled(req: SetWorkflowEnabled, ctx: HandlerContext, wf: Workflows) -> WorkflowReply:
    async with ctx.transaction() as conn:
        row = await conn.fetchrow(repo.SET_ENABLED, req.name, req.enabled, wf.env.clock.now())
    if row is None:
        raise RemoteError("not_found", f"no workflow named {req.name!r}")
    if req.enabled:
        await wf.bindings.bind([row["trigger_event"]])
    return _info(wf, row)


async def delete_workflow(req: DeleteWorkflow, ctx: HandlerContext, wf: Workflows) -> WorkflowDeleted:
    async with ctx.transaction() as conn:
        done = await conn.execute(repo.DELETE_WORKFLOW, req.name)
    if done.endswith(" 0"):
        raise RemoteError("not_found", f"no workflow named {req.name!r}")
    return WorkflowDeleted(name=req.name, deleted=True)


async def run_workflow(req: RunWorkflow, ctx: HandlerContext, wf: Workflows) -> RunReply:
    now = wf.env.clock.now()
    async with ctx.transaction() as conn:
        row = await conn.fetchrow(repo.SELECT_WORKFLOW, req.name)
        if row is None:
            raise RemoteError("not_found", f"no workflow named {req.name!r}")
        ref = ctx.request_id or str(now.timestamp())
        event = {"type": row["trigger_event"] or "manual", "id": ref, "occurred_at": now.isoformat(),
                 "data": req.event}
        run_id = await repo.insert_run(conn, row, "manual", ref, {"event": event}, now, now)
        if run_id is None:
            raise RemoteError("conflict", "this request already started a run")
        run = await conn.fetchrow(repo.SELECT_RUN, run_id)
    assert run is not None
    return RunReply(run=repo.run_info(run))


async def list_runs(req: ListWorkflowRuns, ctx: HandlerContext, wf: Workflows) -> WorkflowRunList:
    async with wf.pool.acquire() as conn:
        if req.name is not None and await conn.fetchrow(repo.SELECT_WORKFLOW, req.name) is None:
            raise RemoteError("not_found", f"no workflow named {req.name!r}")
        rows = await conn.fetch(repo.LIST_RUNS, req.name, req.status, req.limit)
    return WorkflowRunList(runs=[repo.run_info(r) for r in rows])


async def get_run(req: GetWorkflowRun, ctx: HandlerContext, wf: Workflows) -> RunReply:
    try:
        async with wf.pool.acquire() as conn:
            row = await conn.fetchrow(repo.SELECT_RUN, req.run_id)
            steps = await conn.fetch(repo.STEP_RUNS, req.run_id) if row is not None else []
    except asyncpg.DataError as exc:
        raise RemoteError("not_found", f"no run {req.run_id!r}") from exc
    if row is None:
        raise RemoteError("not_found", f"no run {req.run_id!r}")
    return RunReply(run=repo.run_info(row, list(steps)))
