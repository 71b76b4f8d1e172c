"""The owner's decisions on risky tool calls, and their expiry.

Approve → the tool call becomes `approved` (with the owner's arguments if edited, validated against
what the owner may set) and the run goes on at once: the next step executes the tool exactly once
and the model gets its real result. Reject → the call is `refused` with the reason, which the model
reads at its next step. Unanswered past `expires_at` → `expired`, the run is cancelled. A decision on
an approval that is no longer pending is `approval_closed` (409)."""

from __future__ import annotations

from typing import Any

import asyncpg

from libs.common.db import Conn
from libs.common.errors import RemoteError
from libs.common.events.agents import (
    ApprovalList,
    ApprovalReply,
    DecideApproval,
    ListApprovals,
)
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from services.agents import facts, repo, views
from services.agents.deps import AgentsDeps
from services.agents.runner import close_open_steps, summarize
from services.agents.tools import TOOLS, ToolError

log = get_logger(__name__)


async def list_approvals(req: ListApprovals, ctx: HandlerContext, deps: AgentsDeps) -> ApprovalList:
    rows = await ctx.pool.fetch(repo.LIST_APPROVALS, req.status, req.limit, req.offset)
    total = await ctx.pool.fetchval(repo.COUNT_APPROVALS, req.status)
    return ApprovalList(items=[views.approval(r) for r in rows], total=total)


def _edited_args(tool_name: str, args: dict[str, Any] | None) -> dict[str, Any] | None:
    if args is None:
        return None
    tool = TOOLS.get(tool_name)
    if tool is None:
        raise RemoteError("unknown_tool", f"no tool {tool_name!r}")
    try:
        return tool.validate(args, by_owner=True).model_dump(mode="json", exclude_none=True)
    except ToolError as exc:
        raise RemoteError("invalid_arguments", str(exc)) from exc


async def decide(req: DecideApproval, ctx: HandlerContext, deps: AgentsDeps) -> ApprovalReply:
    approval_id = repo.as_uuid(req.approval_id)
    async with ctx.transaction() as conn:
        row = await conn.fetchrow(repo.LOCK_APPROVAL, approval_id) if approval_id else None
        if row is None:
            raise RemoteError("not_found", f"no approval {req.approval_id}")
        if row["status"] != "pending" or row["expires_at"] < await conn.fetchval("SELECT NOW()"):
            raise RemoteError("approval_closed", f"approval {req.approval_id} is already {row['status']}"
                              if row["status"] != "pending" else f"approval {req.approval_id} has expired")
        args = _edited_args(row["tool_name"], req.args) if req.decision == "approve" else None
        status = "approved" if req.decision == "approve" else "rejected"
        await conn.execute(repo.DECIDE_APPROVAL, approval_id, status, args, req.decided_by or "owner", req.reason)
        run = await repo.one(conn, repo.LOCK_RUN, row["run_id"])
        if status == "approved":
            await conn.execute(repo.SET_TOOL_CALL, row["tool_call_id"], "approved", args, None)
        else:
            reason = req.reason or "refused by the owner"
            await conn.execute(repo.FINISH_TOOL_CALL, row["tool_call_id"], "refused",
                               {"refused": True, "reason": reason}, f"refused by the owner: {reason}")
        await _resume(conn, run, row, status, args, req)
        found = await repo.one(conn, repo.SELECT_APPROVAL, approval_id)
    log.info("agent_approval_decided", approval_id=req.approval_id, decision=req.decision, edited=args is not None)
    return ApprovalReply(approval=views.approval(found))


async def _resume(conn: Conn, run: asyncpg.Record, approval: asyncpg.Record, status: str,
                  args: dict[str, Any] | None, req: DecideApproval) -> None:
    data = {"approval_id": str(approval["id"]), "tool_call_id": str(approval["tool_call_id"]),
            "tool": approval["tool_name"], "decided_by": req.decided_by or "owner"}
    if status == "approved":
        await facts.record(conn, "approval_granted", run["id"], run["objective_id"], run["agent_name"],
                           {**data, "edited_args": args})
    else:
        await facts.record(conn, "approval_rejected", run["id"], run["objective_id"], run["agent_name"],
                           {**data, "reason": req.reason})
        await facts.record(conn, "tool_called", run["id"], run["objective_id"], run["agent_name"],
                           {"tool_call_id": str(approval["tool_call_id"]), "tool": approval["tool_name"],
                            "status": "refused", "error": req.reason})
    seq = await conn.fetchval(repo.RESUME_RUN, run["id"])
    if seq is not None:  # a run cancelled meanwhile stays cancelled
        await facts.advance(conn, run["id"], seq)


async def expire_due(pool: asyncpg.Pool) -> int:
    """Expire pending approvals past their time and cancel their runs; returns how many."""
    expired = 0
    async with pool.acquire() as conn, conn.transaction():
        for due in await conn.fetch(repo.DUE_APPROVALS):
            row = await repo.one(conn, repo.SELECT_APPROVAL, due["id"])
            run = await repo.one(conn, repo.LOCK_RUN, row["run_id"])
            await conn.execute("UPDATE app_agent_approvals SET status = 'expired' WHERE id = $1", due["id"])
            await conn.execute(repo.FINISH_TOOL_CALL, row["tool_call_id"], "refused",
                               {"refused": True, "reason": "approval expired"}, "approval expired")
            await facts.record(conn, "approval_expired", run["id"], run["objective_id"], run["agent_name"],
                               {"approval_id": str(due["id"]), "tool": row["tool_name"]})
            if run["status"] in ("paused", "running"):
                await close_open_steps(conn, run["id"], "approval expired")
                summary = await summarize(conn, run["id"], "Approbation expirée : exécution annulée.")
                await conn.execute(repo.FINISH_RUN, run["id"], "cancelled", "approval_expired", summary)
                await conn.execute(repo.SET_OBJECTIVE_STATUS, run["objective_id"], "cancelled")
                await facts.record(conn, "run_cancelled", run["id"], run["objective_id"], run["agent_name"],
                                   {"reason": "approval_expired", "summary": summary})
            expired += 1
    if expired:
        log.info("agent_approvals_expired", count=expired)
    return expired
