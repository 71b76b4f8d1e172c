"""The runner: one step of a run per `agents.run.advance` message, its state in Postgres.

A step is one answer of the model and the tool calls it asked for. The worker first takes the run's
lease for the step's sequence number (`CLAIM_RUN`: nobody else holds it, or the holder's lease
lapsed), renews it while it works, and checks it in every transaction it commits, so two replicas
never advance one run at once. The step is committed in pieces, each before the next side effect:
the model's answer with its tool calls (recorded before any runs), each call's start (the attempt),
each call's result, then the step's end with the next step message (outbox). A worker killed
anywhere leaves the run at its last commit; once the lease lapses another worker takes it up there.
A call found started but unfinished is asked again under the same request id (the owning service's
request log answers with the first reply) or, for e-mail (`at_most_once`), reported as interrupted
rather than sent twice. Budgets are checked before each model call (steps, active duration) and
each tool call; a risky call pauses the run for the owner's approval (approvals.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg

from libs.common.db import Conn
from libs.common.events.agents import AdvanceRun, Budget
from libs.common.llm import Completion, LLMError, LLMTimeout, LLMUnavailable
from libs.common.logging import get_logger
from services.agents import conversation, facts, policy, repo
from services.agents.deps import AgentsDeps
from services.agents.registry import RegistryCache
from services.agents.tools import TOOLS, ToolContext, ToolError, ToolInProgress
from services.agents.views import budget_of

log = get_logger(__name__)
TERMINAL = ("succeeded", "failed", "refused")
MAX_STEP_ERRORS = 3


class LeaseLost(Exception):
    """Another worker took the run over (this one was presumed dead), or the run left `running`."""


class Step:
    """One claimed step of one run (made per message)."""

    def __init__(self, deps: AgentsDeps, run_id: uuid.UUID, token: uuid.UUID) -> None:
        self.deps, self.pool, self.cfg = deps, deps.pool, deps.settings
        self.run_id, self.token = run_id, token
        self.run: asyncpg.Record
        self.config: dict[str, Any] = {}
        self.assigned: dict[str, dict[str, Any]] = {}
        self.agent: asyncpg.Record | None = None
        self.status = "running"  # the run's status as the last `held` transaction found it

    # ---- transactions that hold the lease ------------------------------------------------------
    @contextlib.asynccontextmanager
    async def held(self, *, running: bool = True) -> AsyncIterator[Conn]:
        """A transaction that commits only while this worker still holds the run (and, unless
        `running=False`, while the run is still running: a cancel meanwhile ends the step)."""
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.fetchval(repo.HOLDS_LEASE, self.run_id, self.token)
            if status is None or (running and status != "running"):
                raise LeaseLost(f"run {self.run_id}: lease lost or run {status or 'taken over'}")
            self.status = status
            yield conn

    async def fact(self, conn: Conn, kind: str, data: dict[str, Any]) -> None:
        await facts.record(conn, kind, self.run_id, self.run["objective_id"], self.run["agent_name"], data)

    # ---- the step ------------------------------------------------------------------------------
    async def take(self) -> None:
        self.run = await repo.one(self.pool, repo.SELECT_RUN, self.run_id)
        registry = await (self.deps.registry or RegistryCache(self.pool, 0)).get()
        self.agent = registry.agents.get(self.run["agent_name"])
        self.config = policy.merged_config(registry.config, self.agent["config"] if self.agent is not None else None)
        self.assigned = registry.assignments.get(self.run["agent_name"], {})
        budget = self.budget
        if self.active_ms() >= budget.max_duration_ms:
            return await self.stop_for_budget("duration")
        step = await self.pool.fetchrow(repo.OPEN_STEP, self.run_id)
        if step is None:
            if (self.run["steps_count"] or 0) >= budget.max_steps:
                return await self.stop_for_budget("steps")
            step = await self.think()
            if step is None:
                return
        await self.act(step)

    @property
    def budget(self) -> Budget:
        return budget_of(self.run["budget"])

    def active_ms(self) -> int:
        since = self.run["active_since"]
        running = (dt.datetime.now(dt.UTC) - since).total_seconds() * 1000 if since is not None else 0
        return int((self.run["active_ms"] or 0) + running)

    def allowed_tools(self) -> list[str]:
        allowed = self.run["tools_allowed"] or []
        return [t for t in allowed if t in TOOLS and t in self.assigned]

    # ---- asking the model ----------------------------------------------------------------------
    async def think(self) -> asyncpg.Record | None:
        if not self.deps.llm.settings.configured:
            await self.fail("no_llm_configured", "Aucun LLM n'est configuré (LLM_BASE_URL) : l'agent ne peut pas agir.")
            return None
        messages = await conversation.build(self.pool, self.run, self.agent, self.cfg.max_tool_result_chars)
        tools = [TOOLS[t].openai() for t in self.allowed_tools()]
        started = time.perf_counter()
        try:
            completion = await self.deps.llm.complete(messages, tools=tools or None,
                                                      **policy.llm_overrides(self.config))
        except LLMTimeout as exc:
            await self.fail("llm_timeout", f"Le LLM n'a pas répondu à temps : {exc}")
            return None
        except LLMUnavailable as exc:
            await self.fail("llm_unavailable", f"LLM indisponible : {exc}")
            return None
        except LLMError as exc:
            await self.fail("llm_error", f"Le LLM a échoué : {exc}")
            return None
        return await self.record_answer(completion, int((time.perf_counter() - started) * 1000))

    def usage(self, completion: Completion, llm_ms: int) -> dict[str, Any]:
        meta = dict(self.run["metadata"] or {})
        usage = dict(meta.get("usage") or {})
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            usage[key] = int(usage.get(key, 0)) + int(completion.usage.get(key, 0) or 0)
        cost = (Decimal(usage["prompt_tokens"]) * self.cfg.price_input_per_mtok
                + Decimal(usage["completion_tokens"]) * self.cfg.price_output_per_mtok) / Decimal(1_000_000)
        meta.update(usage=usage, cost=str(cost.quantize(Decimal("0.000001"))), model=completion.model or None,
                    llm_calls=int(meta.get("llm_calls", 0)) + 1, llm_ms=int(meta.get("llm_ms", 0)) + llm_ms)
        return meta

    async def record_answer(self, completion: Completion, llm_ms: int) -> asyncpg.Record | None:
        """The model's answer as a step, with its tool calls recorded (validated) before any runs."""
        async with self.held() as conn:
            number = await conn.fetchval(repo.ADD_STEP, self.run_id, self.token, self.usage(completion, llm_ms))
            thought = _clean(completion.content) or None
            if not completion.tool_calls:
                step_id = await conn.fetchval(repo.INSERT_STEP, self.run_id, number, thought, None, {},
                                              "completed", "low")
                await conn.execute(repo.FINISH_STEP, step_id, "completed", {"final": True})
                await self.fact(conn, "step_started", {"step_number": number, "llm_ms": llm_ms})
                await self.fact(conn, "step_completed", {"step_number": number, "final": True, "thought": thought})
                summary = thought or "Terminé."
                await self.finish(conn, "completed", None, summary, "run_completed", {"summary": summary})
                log.info("agent_run_completed", run_id=str(self.run_id), steps=number)
                return None
            first = completion.tool_calls[0]
            first_args = _loads(_clean(first.arguments))
            step_id = await conn.fetchval(repo.INSERT_STEP, self.run_id, number, thought, first.name,
                                          first_args if isinstance(first_args, dict) else {}, "executing",
                                          self.call_risk(first.name))
            for position, call in enumerate(completion.tool_calls):
                await self.record_call(conn, step_id, position, call.id, _clean(call.name)[:200],
                                       _clean(call.arguments))
            await self.fact(conn, "step_started", {"step_number": number, "llm_ms": llm_ms, "thought": thought,
                                                   "tools": [c.name for c in completion.tool_calls]})
            return await repo.one(conn, "SELECT * FROM app_agent_run_steps WHERE id = $1", step_id)

    def call_risk(self, tool: str) -> str:
        return policy.tool_risk(tool, self.assigned.get(tool))

    async def record_call(self, conn: Conn, step_id: uuid.UUID, position: int, llm_id: str, name: str,
                          raw: str) -> None:
        """A tool call as the model gave it: `pending` when it is valid, else `failed` with the reason
        (the model reads it at the next step)."""
        status, error, args = "pending", None, _loads(raw)
        allowed = self.allowed_tools()
        if name not in allowed:
            status, error = "failed", f"unknown tool {name!r}: this objective allows {', '.join(allowed) or 'no tool'}"
        elif not isinstance(args, dict):
            status, error = "failed", f"{name}: arguments are not a JSON object: {raw[:200]!r}"
        else:
            try:
                TOOLS[name].validate(args)
            except ToolError as exc:
                status, error = "failed", str(exc)
        stored_args = args if isinstance(args, dict) else {}
        result = {"error": error} if error else {}
        call_id = await conn.fetchval(repo.INSERT_TOOL_CALL, step_id, self.run_id, name, stored_args, raw, llm_id,
                                      position, status, error, self.call_risk(name) if name in TOOLS else "high",
                                      result)
        if status == "failed":
            await conn.execute(repo.ADD_TOOL_CALL, self.run_id)
            await self.fact(conn, "tool_called", {"tool_call_id": str(call_id), "tool": name, "status": "failed",
                                                  "error": error})

    # ---- acting --------------------------------------------------------------------------------
    async def act(self, step: asyncpg.Record) -> None:
        calls = await self.pool.fetch(repo.STEP_TOOL_CALLS, step["id"])
        open_calls = [c for c in calls if c["status"] not in TERMINAL]
        for call in open_calls:
            if call["status"] == "awaiting_approval":  # decided neither way yet: wait for the owner
                return await self.release()
            if call["status"] == "pending" and self.needs_approval(call):
                return await self.ask_approval(step, call)
            if call["status"] in ("pending", "approved"):
                if not await self.start_call(call):
                    return
                outcome = await self.execute(call)
            else:  # "executing": in flight when a worker died
                outcome = await self.resume_call(call)
            if call is open_calls[-1]:  # the step's last call: its result and the step's end commit together
                return await self.end_step(step, (call, *outcome))
            await self.finish_call(call, *outcome)
        await self.end_step(step)

    def needs_approval(self, call: asyncpg.Record) -> bool:
        tool = call["tool_name"]
        return policy.requires_approval(tool, call["risk_level"] or self.call_risk(tool), self.run["risk_level"],
                                        self.assigned.get(tool))

    async def start_call(self, call: asyncpg.Record) -> bool:
        """Record the attempt (and count it against the budget) before the tool runs."""
        async with self.held() as conn:
            stop = await conn.fetchval(repo.COUNT_TOOL_CALL, self.run_id, self.budget.max_tool_calls) is None
            if not stop:
                await conn.execute(repo.START_TOOL_CALL, call["id"])
        if stop:
            await self.stop_for_budget("tool_calls")
            return False
        return True

    async def resume_call(self, call: asyncpg.Record) -> tuple[str, Any, str | None]:
        tool = TOOLS.get(call["tool_name"])
        if tool is not None and tool.resume == "at_most_once":
            error = (f"{call['tool_name']} was interrupted by a worker restart; not retried, so that it cannot "
                     "run twice (check its outcome before asking again)")
            log.warning("agent_tool_call_interrupted", run_id=str(self.run_id), tool_call_id=str(call["id"]))
            return "failed", {"error": error, "interrupted": True}, error
        log.info("agent_tool_call_resumed", run_id=str(self.run_id), tool_call_id=str(call["id"]))
        return await self.execute(call)

    async def execute(self, call: asyncpg.Record) -> tuple[str, Any, str | None]:
        tool = TOOLS[call["tool_name"]]
        approved = call["status"] != "pending" and await self.pool.fetchval(
            "SELECT status = 'approved' FROM app_agent_approvals WHERE tool_call_id = $1", call["id"])
        tc = ToolContext(self.deps.rpc, self.pool, self.cfg, self.deps.mail, call["id"], str(self.run_id),
                         str(self.run["objective_id"]), self.run["agent_name"])
        for _ in range(self.cfg.in_progress_retries + 1):
            try:
                args = tool.validate(call["args"], by_owner=bool(approved))
                async with asyncio.timeout(self.cfg.tool_timeout_s * 2 + 5):
                    return "succeeded", _jsonable(await tool.handler(args, tc)), None
            except ToolInProgress:
                await asyncio.sleep(0.5)  # the owner still handles this very request (same id)
            except ToolError as exc:
                return "failed", {"error": str(exc)}, str(exc)
            except TimeoutError:
                return "failed", {"error": f"{tool.name} timed out"}, f"{tool.name} timed out"
            except Exception as exc:  # a tool bug must reach the model as a failed call, not crash the run
                log.exception("agent_tool_crashed", tool=tool.name, run_id=str(self.run_id))
                return "failed", {"error": f"{tool.name} failed: {type(exc).__name__}"}, type(exc).__name__
        return "failed", {"error": f"{tool.name}: still in progress at its owner"}, "in_progress"

    async def record_call_result(self, conn: Conn, call: asyncpg.Record, status: str, result: Any,
                                 error: str | None) -> None:
        await conn.execute(repo.FINISH_TOOL_CALL, call["id"], status, result, error)
        await self.fact(conn, "tool_called", {"tool_call_id": str(call["id"]), "tool": call["tool_name"],
                                              "status": status, "error": error})
        log.info("agent_tool_called", run_id=str(self.run_id), tool=call["tool_name"], status=status)

    async def finish_call(self, call: asyncpg.Record, status: str, result: Any, error: str | None) -> None:
        async with self.held(running=False) as conn:  # recorded even if the run was cancelled meanwhile
            await self.record_call_result(conn, call, status, result, error)

    async def end_step(self, step: asyncpg.Record,
                       last: tuple[asyncpg.Record, str, Any, str | None] | None = None) -> None:
        """The step's end (with its last call's result): the next step message goes out at once
        after the commit, and through the outbox (the same envelope) in case that publish is lost."""
        async with self.held(running=False) as conn:
            if last is not None:
                await self.record_call_result(conn, *last)
            if self.status != "running":  # cancelled meanwhile: the result is kept, the run stays ended
                await conn.execute(repo.RELEASE, self.run_id, self.token)
                return
            calls = await conn.fetch(repo.STEP_TOOL_CALLS, step["id"])
            outcome = {"tool_calls": [{"tool": c["tool_name"], "status": c["status"]} for c in calls]}
            failed = all(c["status"] != "succeeded" for c in calls)
            await conn.execute(repo.FINISH_STEP, step["id"], "failed" if failed else "completed", outcome)
            await self.fact(conn, "step_completed", {"step_number": step["step_number"], **outcome})
            seq = await conn.fetchval(repo.NEXT_STEP, self.run_id, self.token)
            envelope = await facts.advance(conn, self.run_id, seq)
        if self.deps.steps is not None:
            await self.deps.steps.send(envelope)

    # ---- pausing and stopping ------------------------------------------------------------------
    async def ask_approval(self, step: asyncpg.Record, call: asyncpg.Record) -> None:
        ttl = policy.approval_ttl_hours(self.config)
        risk = call["risk_level"] or self.call_risk(call["tool_name"])
        reason = f"risk {risk} ≥ objective risk level {self.run['risk_level']}"
        async with self.held() as conn:
            approval_id = await conn.fetchval(repo.INSERT_APPROVAL, self.run_id, step["id"], call["id"],
                                              call["tool_name"], call["args"], risk, reason, ttl)
            await conn.execute(repo.SET_TOOL_CALL, call["id"], "awaiting_approval", None, None)
            await conn.execute(repo.PAUSE_RUN, self.run_id)
            await self.fact(conn, "approval_requested", {
                "approval_id": str(approval_id), "tool_call_id": str(call["id"]), "tool": call["tool_name"],
                "args": call["args"], "risk_level": risk, "step_number": step["step_number"],
                "title": self.run["title"]})
        log.info("agent_approval_requested", run_id=str(self.run_id), tool=call["tool_name"],
                 approval_id=str(approval_id))

    async def stop_for_budget(self, which: str) -> None:
        async with self.held() as conn:
            summary = await summarize(conn, self.run_id, f"Budget épuisé ({which}).")
            await close_open_steps(conn, self.run_id, f"budget exhausted: {which}")
            limit = self.budget.model_dump()
            await self.finish(conn, "failed", f"budget_exhausted: {which}", summary, "budget_exhausted",
                              {"budget": which, "limits": limit, "summary": summary})
        log.info("agent_budget_exhausted", run_id=str(self.run_id), budget=which)

    async def fail(self, reason: str, detail: str) -> None:
        async with self.held() as conn:
            summary = await summarize(conn, self.run_id, detail)
            await close_open_steps(conn, self.run_id, reason)
            await self.finish(conn, "failed", reason, summary, "run_failed", {"reason": reason, "detail": detail})
        log.warning("agent_run_failed", run_id=str(self.run_id), reason=reason)

    async def finish(self, conn: Conn, status: str, reason: str | None, summary: str, kind: str,
                     data: dict[str, Any]) -> None:
        await conn.execute(repo.FINISH_RUN, self.run_id, status, reason, summary)
        await conn.execute(repo.SET_OBJECTIVE_STATUS, self.run["objective_id"], status)
        await self.fact(conn, kind, data)

    async def release(self) -> None:
        await self.pool.execute(repo.RELEASE, self.run_id, self.token)


async def close_open_steps(conn: Conn, run_id: uuid.UUID, why: str) -> None:
    """A run that stops mid-step: its calls that never ran are marked so, its step failed."""
    await conn.execute("""
        UPDATE app_agent_tool_calls SET status = 'failed', error = $2, success = FALSE
        WHERE run_id = $1 AND status IN ('pending', 'approved', 'awaiting_approval')""", run_id, f"not run: {why}")
    await conn.execute("UPDATE app_agent_run_steps SET status = 'failed' WHERE run_id = $1 AND status = 'executing'",
                       run_id)


async def summarize(conn: Conn, run_id: uuid.UUID, headline: str) -> str:
    """What a stopped run did, for the owner: its steps, its tool calls and their outcomes."""
    steps = await conn.fetchval("SELECT count(*) FROM app_agent_run_steps WHERE run_id = $1", run_id)
    calls = await conn.fetch(
        "SELECT tool_name, status FROM app_agent_tool_calls WHERE run_id = $1 ORDER BY created_at, position", run_id)
    thought = await conn.fetchval("""SELECT thought FROM app_agent_run_steps WHERE run_id = $1 AND thought IS NOT NULL
                                     ORDER BY step_number DESC LIMIT 1""", run_id)
    done = ", ".join(f"{c['tool_name']} ({c['status']})" for c in calls) or "aucun"
    text = f"{headline} {steps} étape(s), {len(calls)} appel(s) d'outils : {done}."
    if thought:
        text += f" Dernière réflexion : « {thought[:300]} »"
    return text


def _clean(text: str) -> str:
    """The model's text without NUL characters (Postgres text and jsonb cannot hold them), in JSON
    arguments written as the `\\u0000` escape too."""
    return text.replace("\x00", "").replace("\\u0000", "") if text else text


def _loads(raw: str) -> Any:
    try:
        return json.loads(raw or "{}")
    except json.JSONDecodeError:
        return None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


async def advance(message: AdvanceRun, deps: AgentsDeps) -> None:
    """Take the step `message.seq` of the run if it is still due and nobody holds the run."""
    run_id = repo.as_uuid(message.run_id)
    if run_id is None:
        return
    token = uuid.uuid4()
    if await deps.pool.fetchval(repo.CLAIM_RUN, run_id, message.seq, token, deps.settings.lease_s) is None:
        log.debug("agent_step_not_due", run_id=message.run_id, seq=message.seq)
        return
    step = Step(deps, run_id, token)
    work = asyncio.create_task(step.take())
    beat = asyncio.create_task(_heartbeat(deps, run_id, token, work))
    try:
        await work
    except LeaseLost as exc:
        log.warning("agent_step_abandoned", run_id=message.run_id, reason=str(exc))
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # this consumer is being stopped
            raise
        log.warning("agent_step_abandoned", run_id=message.run_id, reason="lease lost while working")
    except Exception as exc:
        # a bug or a database error mid-step: the lease lapses and the recovery sweep sends the step
        # again; the third failure of a run ends it (`internal_error`) instead of looping
        log.exception("agent_step_failed", run_id=message.run_id, seq=message.seq)
        with contextlib.suppress(Exception):
            errors = await deps.pool.fetchval(repo.COUNT_STEP_ERROR, run_id, token)
            if errors is not None and errors >= MAX_STEP_ERRORS:
                await step.fail("internal_error", f"{type(exc).__name__}: {exc}"[:300])
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat


async def _heartbeat(deps: AgentsDeps, run_id: uuid.UUID, token: uuid.UUID, work: asyncio.Task[None]) -> bool:
    """Renew the lease every third of it; True (and the step cancelled) once it is lost."""
    while True:
        await asyncio.sleep(deps.settings.lease_s / 3)
        try:
            held = await deps.pool.fetchval(repo.RENEW_LEASE, run_id, token, deps.settings.lease_s)
        except Exception as exc:  # the database is away: the commits will tell
            log.warning("agent_lease_renewal_failed", run_id=str(run_id), error=str(exc))
            continue
        if held is None:
            if not work.done():
                work.cancel()
            return True
