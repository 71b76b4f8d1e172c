"""Drive one leased run through its steps: attempts recorded before their effect, outcomes after.

Every write is conditional on this replica still holding the run's lease (`LeaseLost` otherwise:
another replica took the run over and this one stops at once). Order per step attempt:
1. an attempt row `running` (with its rendered input and what `prepare` fixed) is committed;
2. the step runs under its timeout;
3. the outcome is committed: `succeeded` with the output and provider id and the run moves on, or
   `failed` / `unknown` and the run is retried later (backoff + jitter, no worker held), paused
   (`delay`), stopped (`condition`) or failed with the reason.
An attempt found `running` when a run is resumed was in flight when its worker died: it is an
unknown outcome, settled by the step type's effect (steps/base.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import ValidationError

from libs.common.db import Conn
from libs.common.events.workflows import StepSpec, WorkflowRunCompleted, WorkflowRunFailed
from libs.common.logging import get_logger
from libs.common.outbox import add_event
from services.workflows import metrics, repo, templates
from services.workflows.deps import Workflows
from services.workflows.steps import StepCall, StepFailed, StepResult, StepType

log = get_logger(__name__)
Fault = Callable[[str, StepCall], Awaitable[None]]

INSERT_ATTEMPT = """
INSERT INTO app_workflow_step_runs (run_id, step_index, step_type, attempt, status, idempotency_key, input, started_at)
SELECT $1, $2, $3, $4, 'running', $5, $6, $7
WHERE EXISTS (SELECT 1 FROM app_workflow_runs WHERE id = $1 AND lease_owner = $8)"""
FIRST_STEP = "UPDATE app_workflow_runs SET first_step_at = coalesce(first_step_at, $2) WHERE id = $1"
FINISH_ATTEMPT = """
UPDATE app_workflow_step_runs SET status = $4, output = $5, provider_id = $6, error = $7, finished_at = $8,
       duration_ms = $9
WHERE run_id = $1 AND step_index = $2 AND attempt = $3"""
ATTEMPTS = """
SELECT attempt, status, input, output, provider_id, error FROM app_workflow_step_runs
WHERE run_id = $1 AND step_index = $2 ORDER BY attempt"""
ADVANCE = """
UPDATE app_workflow_runs SET step_index = $3, outputs = outputs || $4, status = $5, resume_at = $6,
       lease_owner = CASE WHEN $5 = 'running' THEN lease_owner END,
       lease_until = CASE WHEN $5 = 'running' THEN lease_until END, updated_at = $7
WHERE id = $1 AND lease_owner = $2"""
RETRY_LATER = """
UPDATE app_workflow_runs SET resume_at = $3, lease_owner = NULL, lease_until = NULL, updated_at = $4
WHERE id = $1 AND lease_owner = $2"""
FINISH_RUN = """
UPDATE app_workflow_runs SET status = $3, error = $4, finished_at = $5, updated_at = $5, lease_owner = NULL,
       lease_until = NULL, resume_at = NULL
WHERE id = $1 AND lease_owner = $2
RETURNING started_at, trigger_kind"""
WORKFLOW_STATUS = "UPDATE app_workflows SET last_run_status = $2 WHERE id = $1"


LOST = "worker lost mid-step: outcome unknown"


class LeaseLost(Exception):
    """Another replica owns the run now (this one was too slow to renew its lease)."""


@dataclass(frozen=True)
class Pause:
    """The run left this worker: retried, delayed, finished or failed."""


def backoff_s(spec: StepSpec, attempt: int, cap_s: float) -> float:
    base = spec.retry.base_delay_ms / 1000 * 2 ** (attempt - 1)
    return float(min(cap_s, base) * random.uniform(0.5, 1.5))


class RunDriver:
    def __init__(self, wf: Workflows, run: asyncpg.Record, context: dict[str, Any], fault: Fault | None,
                 wake: Callable[[float], None]) -> None:
        self.wf, self.run, self.context, self.fault, self.wake = wf, run, context, fault, wake
        self.run_id: str = str(run["id"])
        self.definition: dict[str, Any] = repo._json(run["definition"]) or {}
        self.outputs: dict[str, Any] = dict(repo._json(run["outputs"]) or {})

    @property
    def now(self) -> dt.datetime:
        return self.wf.env.clock.now()

    async def drive(self) -> None:
        steps = [StepSpec.model_validate(s) for s in self.definition.get("steps", [])]
        index = self.run["step_index"]
        while index < len(steps):
            outcome = await self.step(index, steps[index])
            if isinstance(outcome, Pause):
                return
            index += 1
            if outcome.stop:
                break
        await self.finish("completed", None, len(steps))

    # ---- one step ---------------------------------------------------------------------------------
    async def step(self, index: int, spec: StepSpec) -> StepResult | Pause:
        step = self.wf.registry.get(spec.type)
        if step is None:
            return await self.fail(index, spec, f"unknown step type {spec.type!r} (its module is not loaded)")
        async with self.wf.pool.acquire() as conn:
            attempts = [repo.attempt(r) for r in await conn.fetch(ATTEMPTS, self.run["id"], index)]
        call = self._call(index, spec, step, attempts)
        if attempts and attempts[-1].status == "running":  # its worker died mid-step
            settled = await self._settle_lost(call, step, spec)
            if settled is not None:
                return settled
            attempts = [*attempts[:-1], repo.attempt_replace(attempts[-1], "unknown", LOST)]
            call = self._call(index, spec, step, attempts)
        if any(a.status == "unknown" for a in attempts) and step.effect == "lookup":
            found = await self._lookup(call, step, spec)
            if found is not None:
                return found
        if len(attempts) > spec.retry.max:
            return await self.fail(index, spec, f"step {index} ({spec.type}) gave up after {len(attempts)} "
                                   f"attempts: {attempts[-1].error}")
        return await self._attempt(call, step, spec)

    def _call(self, index: int, spec: StepSpec, step: StepType, attempts: list[Any]) -> StepCall:
        prepared = attempts[0].input.get("prepared", {}) if attempts else {}
        return StepCall(run_id=self.run_id, workflow=self.run["workflow_name"], step_index=index,
                        attempt=len(attempts) + 1, idempotency_key=f"{self.run_id}:{index}", config=None,
                        prepared=prepared, context=self.context, previous=tuple(attempts), env=self.wf.env)

    def _render(self, call: StepCall, step: StepType, spec: StepSpec) -> tuple[Any, dict[str, Any]]:
        raw = {k: v for k, v in spec.config.items() if k in step.raw_fields}
        rendered = templates.render_all({k: v for k, v in spec.config.items() if k not in step.raw_fields},
                                        self.context, f"steps[{call.step_index}].config")
        config = rendered | raw
        return step.config_model.model_validate(config), config

    async def _attempt(self, call: StepCall, step: StepType, spec: StepSpec) -> StepResult | Pause:
        try:
            model, rendered = self._render(call, step, spec)
        except (templates.TemplateInvalid, ValidationError) as exc:
            return await self.fail(call.step_index, spec, f"step {call.step_index} ({spec.type}): {exc}")
        prepared = call.prepared or (step.prepare(call) if step.prepare else {})
        call = dataclasses.replace(call, config=model, prepared=prepared)
        started = time.perf_counter()
        await self._record_attempt(call, spec, {"config": rendered, "prepared": prepared})
        if self.fault is not None:
            await self.fault("before_effect", call)
        result: StepResult | None = None
        failure: StepFailed | None = None
        try:
            async with asyncio.timeout(spec.timeout_ms / 1000):
                result = await step.run(call)
        except TimeoutError:
            failure = StepFailed(f"timed out after {spec.timeout_ms} ms", retryable=True, unknown=True)
        except StepFailed as exc:
            failure = exc
        except Exception as exc:  # a step's own bug: its outcome is unknown
            log.exception("workflow_step_crashed", run_id=self.run_id, step=call.step_index)
            failure = StepFailed(f"{type(exc).__name__}: {exc}", unknown=True)
        if self.fault is not None:
            await self.fault("after_effect", call)
        duration_ms = int((time.perf_counter() - started) * 1000)
        if result is not None:
            return await self._succeeded(call, spec, result, duration_ms)
        assert failure is not None
        return await self._failed(call, step, spec, failure, duration_ms)

    async def _record_attempt(self, call: StepCall, spec: StepSpec, attempt_input: dict[str, Any]) -> None:
        async with self.wf.pool.acquire() as conn, conn.transaction():
            done = await conn.execute(INSERT_ATTEMPT, self.run["id"], call.step_index, spec.type, call.attempt,
                                      call.idempotency_key, attempt_input, self.now, self.wf.replica)
            if done.endswith(" 0"):
                raise LeaseLost(self.run_id)
            await conn.execute(FIRST_STEP, self.run["id"], self.now)
        log.info("workflow_step_started", run_id=self.run_id, step=call.step_index, type=spec.type,
                 attempt=call.attempt)

    async def _succeeded(self, call: StepCall, spec: StepSpec, result: StepResult,
                         duration_ms: int, *, found: bool = False) -> StepResult | Pause:
        key = spec.id or str(call.step_index)
        output = result.output
        status = "waiting" if result.resume_at is not None else "running"
        async with self.wf.pool.acquire() as conn, conn.transaction():
            await conn.execute(FINISH_ATTEMPT, self.run["id"], call.step_index, call.attempt, "succeeded", output,
                               result.provider_id, None, self.now, duration_ms)
            await self._advance(conn, call.step_index + 1, {key: output, str(call.step_index): output}, status,
                                result.resume_at)
        metrics.step_ended(spec.type, "found" if found else "succeeded", None if found else duration_ms)
        self.outputs |= {key: output, str(call.step_index): output}
        self.context["steps"] = self.outputs
        log.info("workflow_step_succeeded", run_id=self.run_id, step=call.step_index, type=spec.type,
                 provider_id=result.provider_id, duration_ms=duration_ms)
        if result.resume_at is not None:
            self.wake(max(0.0, (result.resume_at - self.now).total_seconds()))
            return Pause()
        return result

    async def _advance(self, conn: Conn, index: int, outputs: dict[str, Any], status: str,
                       resume_at: dt.datetime | None) -> None:
        done = await conn.execute(ADVANCE, self.run["id"], self.wf.replica, index, outputs, status, resume_at, self.now)
        if done.endswith(" 0"):
            raise LeaseLost(self.run_id)
        if status == "waiting":
            await conn.execute(f"NOTIFY {repo.RUNS_CHANNEL}")

    async def _failed(self, call: StepCall, step: StepType, spec: StepSpec, failure: StepFailed,
                      duration_ms: int) -> Pause:
        status = "unknown" if failure.unknown else "failed"
        async with self.wf.pool.acquire() as conn:
            await conn.execute(FINISH_ATTEMPT, self.run["id"], call.step_index, call.attempt, status, None, None,
                               failure.reason, self.now, duration_ms)
        metrics.step_ended(spec.type, status, duration_ms)
        log.warning("workflow_step_failed", run_id=self.run_id, step=call.step_index, type=spec.type,
                    attempt=call.attempt, reason=failure.reason, unknown=failure.unknown)
        may_repeat = failure.retryable or (failure.unknown and step.effect != "once")
        if failure.unknown and step.effect == "once":
            return await self.fail(call.step_index, spec, f"step {call.step_index} ({spec.type}): "
                                   f"{failure.reason}; outcome unknown, not repeated (it could act twice)")
        if not may_repeat or call.attempt > spec.retry.max:
            return await self.fail(call.step_index, spec, f"step {call.step_index} ({spec.type}) failed after "
                                   f"{call.attempt} attempt(s): {failure.reason}")
        await self.retry_later(backoff_s(spec, call.attempt, self.wf.cfg.retry_max_delay_s))
        return Pause()

    async def _settle_lost(self, call: StepCall, step: StepType, spec: StepSpec) -> Pause | None:
        """The last attempt was in flight when its worker died: mark it unknown, then decide."""
        reason = LOST
        async with self.wf.pool.acquire() as conn:
            await conn.execute(FINISH_ATTEMPT, self.run["id"], call.step_index, call.attempt - 1, "unknown", None,
                               None, reason, self.now, None)
        metrics.step_ended(spec.type, "unknown", None)
        log.warning("workflow_step_in_flight_found", run_id=self.run_id, step=call.step_index, type=spec.type,
                    effect=step.effect)
        if step.effect == "once":
            return await self.fail(call.step_index, spec, f"step {call.step_index} ({spec.type}): {reason}; "
                                   "not repeated (it could act twice)")
        return None

    async def _lookup(self, call: StepCall, step: StepType, spec: StepSpec) -> StepResult | Pause | None:
        assert step.lookup is not None
        try:
            model, rendered = self._render(call, step, spec)
            found = await step.lookup(dataclasses.replace(call, config=model))
        except StepFailed as exc:
            if call.attempt > spec.retry.max + 1:
                return await self.fail(call.step_index, spec, f"step {call.step_index}: {exc.reason}")
            await self.retry_later(backoff_s(spec, call.attempt, self.wf.cfg.retry_max_delay_s))
            return Pause()
        except (templates.TemplateInvalid, ValidationError) as exc:
            return await self.fail(call.step_index, spec, str(exc))
        if found is None:
            return None
        log.info("workflow_step_found_by_lookup", run_id=self.run_id, step=call.step_index,
                 provider_id=found.provider_id)
        await self._record_attempt(call, spec, {"config": rendered, "prepared": call.prepared, "lookup": True})
        return await self._succeeded(call, spec, found, 0, found=True)

    # ---- the run ----------------------------------------------------------------------------------
    async def retry_later(self, delay_s: float) -> None:
        async with self.wf.pool.acquire() as conn:
            done = await conn.execute(RETRY_LATER, self.run["id"], self.wf.replica,
                                      self.now + dt.timedelta(seconds=delay_s), self.now)
        if done.endswith(" 0"):
            raise LeaseLost(self.run_id)
        self.wake(delay_s)

    async def fail(self, index: int, spec: StepSpec, reason: str) -> Pause:
        await self._finish_run("failed", reason, WorkflowRunFailed(
            run_id=self.run_id, workflow=self.run["workflow_name"], trigger_kind=self.run["trigger_kind"],
            step_index=index, step_type=spec.type, reason=reason[:2000]))
        log.warning("workflow_run_failed", run_id=self.run_id, workflow=self.run["workflow_name"], reason=reason)
        return Pause()

    async def finish(self, status: str, reason: str | None, steps: int) -> None:
        started = self.run["started_at"] or self.now
        duration = int((self.now - started).total_seconds() * 1000)
        await self._finish_run(status, reason, WorkflowRunCompleted(
            run_id=self.run_id, workflow=self.run["workflow_name"], trigger_kind=self.run["trigger_kind"],
            duration_ms=max(0, duration), steps=steps))
        log.info("workflow_run_completed", run_id=self.run_id, workflow=self.run["workflow_name"], duration_ms=duration)

    async def _finish_run(self, status: str, reason: str | None,
                          event: WorkflowRunCompleted | WorkflowRunFailed) -> None:
        async with self.wf.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(FINISH_RUN, self.run["id"], self.wf.replica, status, reason, self.now)
            if row is None:
                raise LeaseLost(self.run_id)
            await conn.execute(WORKFLOW_STATUS, self.run["workflow_id"], status)
            await add_event(conn, event, source="workflows", aggregate_id=self.run_id)
            await conn.execute(f"NOTIFY {repo.RUNS_CHANNEL}")
        metrics.runs.labels(self.run["trigger_kind"] or "unknown", status).inc()
