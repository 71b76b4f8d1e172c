"""`comptoir agents …`: the owner runs agents from the shell, against the running agents service.

    comptoir agents list
    comptoir agents objective create --agent sales_agent --title "Relancer les leads" [--tools a,b]
        [--max-steps N] [--max-tool-calls N] [--max-duration-ms N] [--risk low|medium|high] [--start]
    comptoir agents run OBJECTIVE_ID [--wait]      comptoir agents runs [--status S]
    comptoir agents show RUN_ID                    comptoir agents approvals [--status S]
    comptoir agents approve APPROVAL_ID [--args JSON]
    comptoir agents reject APPROVAL_ID [--reason R]
    comptoir agents cancel RUN_ID [--reason R]

Every command takes `--json`. Bad input (an unknown agent, tool, id, a negative budget, edited
arguments that do not fit) exits 2 with the reason; a closed approval or a finished run exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from pydantic import ValidationError

from libs.common import cli
from libs.common.errors import UsageError
from libs.common.events.agents import (
    AgentList,
    ApprovalList,
    ApprovalReply,
    Budget,
    CancelRun,
    CreateObjective,
    DecideApproval,
    GetRun,
    ListAgents,
    ListApprovals,
    ListRuns,
    ObjectiveReply,
    RunDetail,
    RunInfo,
    RunList,
    RunReply,
    StartRun,
)
from libs.common.messages import Message
from libs.common.rpc import ReplyT

BAD_INPUT = frozenset({"not_found", "unknown_agent", "unknown_tool", "invalid_budget", "invalid_arguments",
                       "bad_request"})
FINISHED = ("completed", "failed", "cancelled")


def register(subparsers: Any) -> None:
    agents = subparsers.add_parser("agents", help="agents: objectives, runs, approvals (the agents service answers)")
    sub = agents.add_subparsers(dest="agents_command", required=True)
    _command(sub, "list", "the agents, their tools and settings", _list)
    objective = sub.add_parser("objective", help="objectives")
    osub = objective.add_subparsers(dest="objective_command", required=True)
    create = _command(osub, "create", "create an objective (and start it with --start)", _create)
    create.add_argument("--agent", required=True, help="sales_agent, content_agent, security_agent")
    create.add_argument("--title", required=True, help="what the agent is to achieve, in a few words")
    create.add_argument("--description", default="", help="the objective in detail (context, constraints)")
    create.add_argument("--tools", help="comma-separated tools (default: every tool of the agent)")
    create.add_argument("--max-steps", type=int, help="budget: model answers at most (default: the agent's)")
    create.add_argument("--max-tool-calls", type=int, help="budget: tool calls at most")
    create.add_argument("--max-duration-ms", type=int, help="budget: active time, approval waits excluded")
    create.add_argument("--risk", choices=("low", "medium", "high"), help="lowest risk that waits for approval")
    create.add_argument("--priority", type=int, default=0, help="0 to 100 (default 0)")
    create.add_argument("--start", action="store_true", help="also start a first run")
    run = _command(sub, "run", "start a run of an objective", _run)
    run.add_argument("objective_id", help="the objective to run (a new run, numbered per objective)")
    run.add_argument("--wait", action="store_true", help="wait until the run ends or waits for an approval")
    run.add_argument("--timeout", type=float, default=300.0, help="seconds --wait waits at most (default 300)")
    runs = _command(sub, "runs", "recent runs", _runs)
    runs.add_argument("--status", choices=("running", "completed", "failed", "paused", "cancelled"),
                      help="only runs in this state")
    runs.add_argument("--limit", type=int, default=50, help="at most this many, newest first (default 50)")
    show = _command(sub, "show", "a run: steps, tool calls, events, approvals", _show)
    show.add_argument("run_id", help="the run")
    approvals = _command(sub, "approvals", "approvals (pending by default)", _approvals)
    approvals.add_argument("--status", choices=("pending", "approved", "rejected", "expired", "all"),
                           default="pending", help="which approvals (default pending)")
    approve = _command(sub, "approve", "approve a tool call (optionally with edited arguments)", _approve)
    approve.add_argument("approval_id", help="the approval (comptoir agents approvals)")
    approve.add_argument("--args", help="the edited arguments, a JSON object")
    reject = _command(sub, "reject", "refuse a tool call; the agent is told the reason", _reject)
    reject.add_argument("approval_id", help="the approval (comptoir agents approvals)")
    reject.add_argument("--reason", help="why; the agent reads it")
    cancel = _command(sub, "cancel", "cancel a run", _cancel)
    cancel.add_argument("run_id", help="the run to cancel")
    cancel.add_argument("--reason", help="kept in the run's summary and events")


def _command(sub: Any, name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handler)
    return parser


async def _ask(body: Message, reply: type[ReplyT], timeout: float | None = None) -> ReplyT:
    return await cli.ask(body, reply, BAD_INPUT, timeout=timeout)


_print = cli.show


def _run_line(run: RunInfo) -> str:
    reason = f" ({run.stop_reason})" if run.stop_reason else ""
    return (f"{run.id}  #{run.run_number} {run.agent:<15} {run.status}{reason}  steps {run.steps}, "
            f"tools {run.tool_calls}, tokens {run.tokens}  {run.title}")


async def _list(args: argparse.Namespace) -> int:
    found = await _ask(ListAgents(), AgentList)
    lines = [f"{a.name:<15} {'on ' if a.enabled else 'off'} {a.description}\n    tools: {', '.join(a.tools)}"
             for a in found.agents]
    lines += ["", "tools:"] + [f"  {t.name:<20} {t.risk_level:<6} {t.description}" for t in found.tools]
    return _print(args, found, lines)


def _budget(args: argparse.Namespace) -> Budget | None:
    given = {"max_steps": args.max_steps, "max_tool_calls": args.max_tool_calls,
             "max_duration_ms": args.max_duration_ms}
    if all(v is None for v in given.values()):
        return None
    try:
        return Budget.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"invalid_budget: {problems}") from exc


async def _create(args: argparse.Namespace) -> int:
    tools = [t.strip() for t in args.tools.split(",") if t.strip()] if args.tools else None
    try:
        body = CreateObjective(agent=args.agent, title=args.title, description=args.description, tools_allowed=tools,
                               budget=_budget(args), risk_level=args.risk, priority=args.priority, start=args.start,
                               created_by="cli")
    except ValidationError as exc:
        raise UsageError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    made = await _ask(body, ObjectiveReply)
    o = made.objective
    lines = [f"objective {o.id}  {o.agent}  risk {o.risk_level}  tools {', '.join(o.tools_allowed)}",
             f"budget: {o.budget.max_steps} steps, {o.budget.max_tool_calls} tool calls, "
             f"{o.budget.max_duration_ms} ms"]
    if made.run is not None:
        lines.append("run " + _run_line(made.run))
    return _print(args, made, lines)


async def _run(args: argparse.Namespace) -> int:
    started = await _ask(StartRun(objective_id=args.objective_id), RunReply)
    run = started.run
    if args.wait:
        deadline = time.monotonic() + args.timeout
        while run.status not in (*FINISHED, "paused") and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            run = (await _ask(GetRun(run_id=run.id), RunDetail)).run
    shown = RunReply(run=run)
    _print(args, shown, [_run_line(run)] + ([run.summary] if run.summary else []))
    return 1 if run.status == "failed" else 0


async def _runs(args: argparse.Namespace) -> int:
    found = await _ask(ListRuns(status=args.status, limit=max(1, min(args.limit, 200))), RunList)
    return _print(args, found, [_run_line(r) for r in found.items] or ["no run"])


async def _show(args: argparse.Namespace) -> int:
    detail = await _ask(GetRun(run_id=args.run_id), RunDetail)
    lines = [_run_line(detail.run)]
    if detail.run.summary:
        lines.append(f"summary: {detail.run.summary}")
    lines += [f"  step {s.step_number} [{s.status}] {s.tool or 'answer'}: {(s.thought or '')[:100]}"
              for s in detail.steps]
    lines += [f"  tool {c.tool} [{c.status}] {c.error or ''}" for c in detail.tool_calls]
    lines += [f"  approval {a.id} {a.tool} [{a.status}]" for a in detail.approvals]
    lines += [f"  {e.created_at} {e.type}" for e in detail.events]
    return _print(args, detail, lines)


async def _approvals(args: argparse.Namespace) -> int:
    status = None if args.status == "all" else args.status
    found = await _ask(ListApprovals(status=status), ApprovalList)
    lines = [f"{a.id}  {a.status:<8} {a.tool:<20} risk {a.risk_level}  run {a.run_id}  "
             f"{json.dumps(a.args, ensure_ascii=False)[:120]}" for a in found.items]
    return _print(args, found, lines or ["no approval"])


async def _decide(args: argparse.Namespace, decision: str, edited: dict[str, Any] | None = None,
                  reason: str | None = None) -> int:
    body = DecideApproval(approval_id=args.approval_id, decision=decision, args=edited,
                          reason=reason, decided_by="cli")
    decided = await _ask(body, ApprovalReply)
    return _print(args, decided, [f"approval {decided.approval.id}: {decided.approval.status}"])


async def _approve(args: argparse.Namespace) -> int:
    edited = None
    if args.args is not None:
        try:
            edited = json.loads(args.args)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--args is not JSON: {exc}") from exc
        if not isinstance(edited, dict):
            raise UsageError("--args must be a JSON object")
    return await _decide(args, "approve", edited)


async def _reject(args: argparse.Namespace) -> int:
    return await _decide(args, "reject", reason=args.reason)


async def _cancel(args: argparse.Namespace) -> int:
    cancelled = await _ask(CancelRun(run_id=args.run_id, reason=args.reason), RunReply)
    return _print(args, cancelled, [_run_line(cancelled.run)])
