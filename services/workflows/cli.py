"""`comptoir workflows …`: the owner manages workflows from the shell, against the running service.

    comptoir workflows list                      comptoir workflows show NAME
    comptoir workflows create --file F.json      comptoir workflows enable NAME | disable NAME
    comptoir workflows run NAME [--event JSON]   comptoir workflows runs [NAME] [--status S] [--limit N]

A workflow file holds the table's own fields: `name`, `description`, `trigger_event` or
`trigger_cron`, `steps`, `settings`, `enabled`. Every command takes `--json`. Bad input (a name taken,
an unknown name, an invalid cron, an unknown step type, a template that does not compile, a missing
secret, a file that is not JSON) exits 2 with the reason.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from libs.common import cli
from libs.common.errors import UsageError
from libs.common.events.workflows import (
    CreateWorkflow,
    GetWorkflow,
    ListWorkflowRuns,
    ListWorkflows,
    RunInfo,
    RunReply,
    RunWorkflow,
    SetWorkflowEnabled,
    WorkflowDefinition,
    WorkflowInfo,
    WorkflowList,
    WorkflowReply,
    WorkflowRunList,
)
from libs.common.messages import Message
from libs.common.rpc import ReplyT

NAME_HELP = "the workflow's name (comptoir workflows list shows them)"
BAD_INPUT = frozenset({"not_found", "name_conflict", "invalid_workflow", "conflict"})


def register(subparsers: Any) -> None:
    workflows = subparsers.add_parser("workflows", help="workflows: definitions, runs (the workflows service answers)")
    sub = workflows.add_subparsers(dest="workflows_command", required=True)
    _command(sub, "list", "every workflow", _list)
    _command(sub, "show", "a workflow and its latest runs", _show).add_argument("name", help=NAME_HELP)
    _command(sub, "create", "create a workflow from a JSON file", _create).add_argument(
        "--file", required=True, type=Path, help="a JSON object: name, trigger_event|trigger_cron, steps, …")
    _command(sub, "enable", "turn a workflow on", _enable).add_argument("name", help=NAME_HELP)
    _command(sub, "disable", "turn a workflow off", _disable).add_argument("name", help=NAME_HELP)
    run = _command(sub, "run", "run a workflow now", _run)
    run.add_argument("name", help=NAME_HELP)
    run.add_argument("--event", help="the trigger's data, a JSON object (default {})")
    runs = _command(sub, "runs", "recent runs, of one workflow or all", _runs)
    runs.add_argument("name", nargs="?", help="only this workflow's runs (default: every workflow)")
    runs.add_argument("--status", choices=("queued", "running", "waiting", "completed", "failed"),
                      help="only runs in this state")
    runs.add_argument("--limit", type=int, default=50, help="at most this many runs, newest first (default 50)")


def _command(sub: Any, name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=handler)
    return parser


async def _ask(body: Message, reply: type[ReplyT], *, writes: bool = False) -> ReplyT:
    return await cli.ask(body, reply, BAD_INPUT, writes=writes)


_print = cli.show


def _line(w: WorkflowInfo) -> str:
    trigger = f"event {w.trigger_event}" if w.trigger_event else f"cron '{w.trigger_cron}'" if w.trigger_cron \
        else "manual"
    last = f"last {w.last_run_status} {w.last_run_at}" if w.last_run_at else "never run"
    nxt = f", next {w.next_run_at}" if w.next_run_at else ""
    return f"{w.name:<32} {'on ' if w.enabled else 'off'} {trigger:<36} {len(w.steps)} step(s)  {last}{nxt}"


def _run_line(r: RunInfo) -> str:
    error = f"  {r.error}" if r.error else ""
    return f"{r.id}  {r.workflow:<28} {r.status:<9} {r.trigger_kind:<6} step {r.step_index}  {r.created_at}{error}"


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise UsageError(f"{what} must be a JSON object")
    return value


async def _list(args: argparse.Namespace) -> int:
    found = await _ask(ListWorkflows(), WorkflowList)
    return _print(args, found, [_line(w) for w in found.workflows] or ["no workflow"])


async def _show(args: argparse.Namespace) -> int:
    found = await _ask(GetWorkflow(name=args.name), WorkflowReply)
    w = found.workflow
    lines = [_line(w)] + ([w.description] if w.description else [])
    lines += [f"  step {i} {s.type}{f' ({s.id})' if s.id else ''}: retry {s.retry.max}, timeout {s.timeout_ms} ms"
              for i, s in enumerate(w.steps)]
    lines += ["runs:"] + [f"  {_run_line(r)}" for r in found.runs]
    return _print(args, found, lines)


async def _create(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from exc
    try:
        definition = WorkflowDefinition.model_validate(_json_object(text, str(args.file)))
    except ValidationError as exc:
        raise UsageError("invalid_workflow: " + "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    made = await _ask(CreateWorkflow(workflow=definition), WorkflowReply, writes=True)
    return _print(args, made, [f"created {_line(made.workflow)}"])


async def _set(args: argparse.Namespace, enabled: bool) -> int:
    done = await _ask(SetWorkflowEnabled(name=args.name, enabled=enabled), WorkflowReply)
    return _print(args, done, [_line(done.workflow)])


async def _enable(args: argparse.Namespace) -> int:
    return await _set(args, True)


async def _disable(args: argparse.Namespace) -> int:
    return await _set(args, False)


async def _run(args: argparse.Namespace) -> int:
    event = _json_object(args.event, "--event") if args.event else {}
    started = await _ask(RunWorkflow(name=args.name, event=event), RunReply, writes=True)
    return _print(args, started, [f"queued {_run_line(started.run)}"])


async def _runs(args: argparse.Namespace) -> int:
    found = await _ask(ListWorkflowRuns(name=args.name, status=args.status, limit=max(1, min(args.limit, 500))),
                       WorkflowRunList)
    return _print(args, found, [_run_line(r) for r in found.runs] or ["no run"])
