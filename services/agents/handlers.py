"""Requests of the agents service: the registry, objectives, runs (start, list, detail, cancel).

Error codes (libs/common/events/agents.py; the gateway maps them): `not_found`, `unknown_agent`,
`unknown_tool`, `invalid_budget`, `run_finished`."""

from __future__ import annotations

from typing import Any

import asyncpg

from libs.common.db import Conn
from libs.common.errors import RemoteError
from libs.common.events.agents import (
    AgentInfo,
    AgentList,
    CancelRun,
    CreateObjective,
    GetRun,
    ListAgents,
    ListRuns,
    ObjectiveReply,
    RunDetail,
    RunInfo,
    RunList,
    RunReply,
    StartRun,
)
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from services.agents import facts, policy, repo, views
from services.agents.deps import AgentsDeps
from services.agents.runner import close_open_steps, summarize
from services.agents.tools import TOOLS

log = get_logger(__name__)
FINISHED = ("completed", "failed", "cancelled")


async def list_agents(req: ListAgents, ctx: HandlerContext, deps: AgentsDeps) -> AgentList:
    defaults = await repo.config(ctx.pool)
    assigned = await repo.assignments(ctx.pool)
    agents = [AgentInfo(name=r["name"], description=r["description"] or "", enabled=bool(r["enabled"]),
                        tools=sorted(assigned.get(r["name"], {})),
                        config=policy.merged_config(defaults, r["config"]))
              for r in await ctx.pool.fetch(repo.SELECT_AGENTS)]
    return AgentList(agents=agents, tools=[t.info() for t in TOOLS.values()])


def _priority_label(score: int) -> str:
    return "high" if score >= 67 else "medium" if score >= 34 else "low"


async def create_objective(req: CreateObjective, ctx: HandlerContext, deps: AgentsDeps) -> ObjectiveReply:
    async with ctx.transaction() as conn:
        agent = await conn.fetchrow(repo.SELECT_AGENT, req.agent)
        if agent is None or not agent["enabled"]:
            known = ", ".join(r["name"] for r in await conn.fetch(repo.SELECT_AGENTS) if r["enabled"])
            raise RemoteError("unknown_agent", f"no enabled agent {req.agent!r} (agents: {known})")
        assigned = (await repo.assignments(conn)).get(req.agent, {})
        usable = sorted(t for t in assigned if t in TOOLS)
        tools = list(dict.fromkeys(req.tools_allowed)) if req.tools_allowed is not None else usable
        unknown = [t for t in tools if t not in usable]
        if unknown:
            raise RemoteError("unknown_tool", f"{', '.join(unknown)}: not a tool {req.agent} may use "
                                              f"({', '.join(usable)})")
        config = policy.merged_config(await repo.config(conn), agent["config"])
        budget = req.budget or policy.default_budget(config)
        risk = req.risk_level or policy.default_risk(config)
        row = await repo.one(conn, repo.INSERT_OBJECTIVE, req.agent, req.title, req.description,
                                  _priority_label(req.priority), req.priority, tools, budget.model_dump(), risk,
                                  req.created_by or "admin")
        run = await start(conn, row, deps) if req.start else None
        row = await repo.one(conn, repo.SELECT_OBJECTIVE, row["id"])  # its status after the start
    log.info("agent_objective_created", objective_id=str(row["id"]), agent=req.agent, started=run is not None)
    return ObjectiveReply(objective=views.objective(row), run=run)


async def start(conn: Conn, objective: asyncpg.Record, deps: AgentsDeps) -> RunInfo:
    """A new run of the objective (the caller holds the objective's row), and its first step message;
    without an LLM the run fails at once (`no_llm_configured`)."""
    configured = deps.llm.settings.configured
    meta = {"model": deps.llm.settings.model if configured else None}
    created = await repo.one(conn, repo.INSERT_RUN, objective["id"], meta)
    run_id, agent = created["id"], objective["agent_name"]
    await facts.record(conn, "run_started", run_id, objective["id"], agent,
                       {"run_number": created["run_number"], "title": objective["title"]})
    if configured:
        await conn.execute(repo.SET_OBJECTIVE_STATUS, objective["id"], "running")
        await facts.advance(conn, run_id, 0)
    else:
        detail = "Aucun LLM n'est configuré (LLM_BASE_URL) : un agent a besoin d'un modèle."
        await conn.execute(repo.FINISH_RUN, run_id, "failed", "no_llm_configured", detail)
        await conn.execute(repo.SET_OBJECTIVE_STATUS, objective["id"], "failed")
        await facts.record(conn, "run_failed", run_id, objective["id"], agent,
                           {"reason": "no_llm_configured", "detail": detail})
    log.info("agent_run_started", run_id=str(run_id), objective_id=str(objective["id"]), llm=configured)
    return views.run(await repo.one(conn, repo.SELECT_RUN, run_id))


async def start_run(req: StartRun, ctx: HandlerContext, deps: AgentsDeps) -> RunReply:
    objective_id = repo.as_uuid(req.objective_id)
    async with ctx.transaction() as conn:
        objective = await conn.fetchrow(repo.LOCK_OBJECTIVE, objective_id) if objective_id else None
        if objective is None:
            raise RemoteError("not_found", f"no objective {req.objective_id}")
        if objective["agent_name"] is None:
            raise RemoteError("unknown_agent", f"objective {req.objective_id} names no agent")
        run = await start(conn, objective, deps)
    return RunReply(run=run)


async def list_runs(req: ListRuns, ctx: HandlerContext, deps: AgentsDeps) -> RunList:
    objective_id = repo.as_uuid(req.objective_id) if req.objective_id else None
    if req.objective_id and objective_id is None:
        return RunList(items=[], total=0)
    rows = await ctx.pool.fetch(repo.LIST_RUNS, req.status, objective_id, req.limit, req.offset)
    total = await ctx.pool.fetchval(repo.COUNT_RUNS, req.status, objective_id)
    return RunList(items=[views.run(r) for r in rows], total=total)


async def get_run(req: GetRun, ctx: HandlerContext, deps: AgentsDeps) -> RunDetail:
    run_id = repo.as_uuid(req.run_id)
    row = await ctx.pool.fetchrow(repo.SELECT_RUN, run_id) if run_id else None
    if row is None:
        raise RemoteError("not_found", f"no run {req.run_id}")
    steps = await ctx.pool.fetch(repo.SELECT_STEPS, run_id)
    calls = await ctx.pool.fetch(repo.RUN_TOOL_CALLS, run_id)
    events = await ctx.pool.fetch(repo.RUN_EVENTS, run_id)
    approvals = await ctx.pool.fetch(repo.RUN_APPROVALS, run_id)
    return RunDetail(run=views.run(row), steps=[views.step(s) for s in steps],
                     tool_calls=[views.tool_call(c) for c in calls], events=[views.event(e) for e in events],
                     approvals=[views.approval(a) for a in approvals])


async def cancel_run(req: CancelRun, ctx: HandlerContext, deps: AgentsDeps) -> RunReply:
    run_id = repo.as_uuid(req.run_id)
    async with ctx.transaction() as conn:
        run = await conn.fetchrow(repo.LOCK_RUN, run_id) if run_id else None
        if run is None:
            raise RemoteError("not_found", f"no run {req.run_id}")
        if run["status"] in FINISHED:
            raise RemoteError("run_finished", f"run {req.run_id} is already {run['status']}")
        await _cancel(conn, run, req.reason)
        row = await repo.one(conn, repo.SELECT_RUN, run_id)
    log.info("agent_run_cancelled", run_id=req.run_id)
    return RunReply(run=views.run(row))


async def _cancel(conn: Conn, run: asyncpg.Record, reason: str | None) -> None:
    why = reason or "cancelled by the owner"
    for closed in await conn.fetch(repo.CLOSE_RUN_APPROVALS, run["id"], "rejected", f"run cancelled: {why}"):
        await conn.execute(repo.FINISH_TOOL_CALL, closed["tool_call_id"], "refused",
                           {"refused": True, "reason": "run cancelled"}, "run cancelled")
    await close_open_steps(conn, run["id"], "run cancelled")
    summary = await summarize(conn, run["id"], f"Exécution annulée ({why}).")
    await conn.execute(repo.FINISH_RUN, run["id"], "cancelled", "cancelled", summary)
    await conn.execute(repo.SET_OBJECTIVE_STATUS, run["objective_id"], "cancelled")
    data: dict[str, Any] = {"reason": why, "summary": summary}
    await facts.record(conn, "run_cancelled", run["id"], run["objective_id"], run["agent_name"], data)
