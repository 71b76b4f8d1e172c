"""Steps with no outside effect: `log`, `delay` (durable) and `condition` (declarative, never eval)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.common.logging import get_logger
from services.workflows.steps.base import StepCall, StepFailed, StepResult, StepType

log = get_logger(__name__)
_MISSING = object()


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LogConfig(_Config):
    message: str = Field(min_length=1, max_length=2000)


async def run_log(call: StepCall) -> StepResult:
    log.info("workflow_log_step", workflow=call.workflow, run_id=call.run_id, message=call.config.message)
    return StepResult(output={"message": call.config.message})


class DelayConfig(_Config):
    seconds: float | None = Field(None, ge=0, le=90 * 86400)
    until: str | None = None  # an ISO-8601 time (a template, e.g. from the event)

    @model_validator(mode="after")
    def _one(self) -> DelayConfig:
        if (self.seconds is None) == (self.until is None):
            raise ValueError("delay needs exactly one of `seconds` or `until`")
        return self


async def run_delay(call: StepCall) -> StepResult:
    cfg: DelayConfig = call.config
    if cfg.seconds is not None:
        when = call.env.clock.now() + dt.timedelta(seconds=cfg.seconds)
    else:
        try:
            when = dt.datetime.fromisoformat(str(cfg.until))
        except ValueError as exc:
            raise StepFailed(f"delay: `until` is not an ISO-8601 time: {cfg.until!r}") from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=call.env.settings.zone())
    return StepResult(output={"resume_at": when.isoformat()}, resume_at=when)


Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "exists", "missing", "matches",
             "truthy", "falsy"]


class Comparison(_Config):
    path: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
    op: Op
    value: Any = None


class ConditionConfig(_Config):
    all: list[Comparison] = []
    any: list[Comparison] = []
    otherwise: Literal["stop", "fail"] = "stop"  # what a false condition does to the run

    @model_validator(mode="after")
    def _something(self) -> ConditionConfig:
        if not self.all and not self.any:
            raise ValueError("condition needs `all` or `any` comparisons")
        for comparison in (*self.all, *self.any):
            if comparison.op == "matches":
                try:
                    re.compile(str(comparison.value))
                except re.error as exc:
                    raise ValueError(f"condition: bad regular expression {comparison.value!r}: {exc}") from exc
        return self


def resolve(context: dict[str, Any], path: str) -> Any:
    node: Any = context
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "exists":
        return actual is not _MISSING and actual is not None
    if op == "missing":
        return actual is _MISSING or actual is None
    if actual is _MISSING:
        return op in ("ne", "not_in", "falsy")
    simple: dict[str, Callable[[], Any]] = {"eq": lambda: actual == expected, "ne": lambda: actual != expected,
              "truthy": lambda: bool(actual), "falsy": lambda: not actual,
              "in": lambda: actual in (expected or []), "not_in": lambda: actual not in (expected or []),
              "contains": lambda: expected in actual if isinstance(actual, str | list | dict) else False,
              "matches": lambda: re.search(str(expected), str(actual)) is not None}
    if op in simple:
        return bool(simple[op]())
    left, right = _number(actual), _number(expected)
    try:
        return bool({"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}[op])
    except TypeError:
        return False


async def run_condition(call: StepCall) -> StepResult:
    cfg: ConditionConfig = call.config
    checks = [{"path": c.path, "op": c.op, "result": compare(resolve(call.context, c.path), c.op, c.value)}
              for c in (*cfg.all, *cfg.any)]
    all_ok = all(c["result"] for c in checks[: len(cfg.all)])
    any_ok = not cfg.any or any(c["result"] for c in checks[len(cfg.all):])
    result = all_ok and any_ok
    if not result and cfg.otherwise == "fail":
        raise StepFailed(f"condition is false: {checks}")
    return StepResult(output={"result": result, "checks": checks}, stop=not result)


STEPS = (
    StepType("log", LogConfig, run_log, "none", "Write a line to the service log (a no-op step)."),
    StepType("delay", DelayConfig, run_delay, "none",
             "Wait `seconds` or `until` a time; durable, holds no worker while it waits."),
    StepType("condition", ConditionConfig, run_condition, "none",
             "Compare values of the event and earlier outputs; false stops the run (or fails it).",
             raw_fields=frozenset({"all", "any"})),
)
