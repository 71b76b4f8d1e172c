"""What a step type is, and the registry of them: the engine's, the save-time check's and B2's.

A step type declares its **effect**, which decides what happens when an attempt's outcome is
unknown (a timeout, or a worker that died mid-step, found as an attempt still `running`):
- `none`: no side effect (condition, get_quote, generate_text): run it again;
- `idempotent`: the callee deduplicates by our key (billing, agents, social requests by request id,
  a webhook receiver by `Webhook-Id`): run it again with the same key;
- `lookup`: the provider can be asked whether the first attempt landed (Drive, by the key in the
  file's appProperties): `lookup` first, run again only if it finds nothing;
- `resend`: nobody can be asked and a repeat is visible (SMTP): send again with the same
  Message-ID, so a crash between the server's acceptance and our commit is the only duplicate;
- `once`: nobody can be asked and nothing deduplicates (WhatsApp messages): never repeated after an
  unknown outcome; the run fails saying so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from services.workflows.deps import StepEnv

Effect = Literal["none", "idempotent", "lookup", "resend", "once"]


class StepFailed(Exception):
    """A step attempt failed. `retryable`: another attempt may succeed (it will not act twice)."""

    def __init__(self, reason: str, *, retryable: bool = False, unknown: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.unknown = unknown  # the side effect may have happened


class ConfigInvalid(ValueError):
    """A step's config is refused when the workflow is saved (422)."""


@dataclass(frozen=True)
class Attempt:
    attempt: int
    status: str
    input: dict[str, Any]
    output: dict[str, Any] | None
    provider_id: str | None
    error: str | None


@dataclass(frozen=True)
class StepResult:
    output: dict[str, Any] = field(default_factory=dict)
    provider_id: str | None = None
    resume_at: dt.datetime | None = None  # a durable pause: the run waits, holding no worker
    stop: bool = False  # end the run here, successfully (a condition that is false)


@dataclass(frozen=True)
class StepCall:
    run_id: str
    workflow: str
    step_index: int
    attempt: int
    idempotency_key: str  # the same for every attempt of this step of this run
    config: Any  # the step type's config model, rendered
    prepared: dict[str, Any]  # what `prepare` recorded before the first attempt (kept across attempts)
    context: dict[str, Any]  # the template context (event, steps, facts, …)
    previous: tuple[Attempt, ...]
    env: StepEnv


@dataclass(frozen=True)
class StepType:
    name: str
    config_model: type[BaseModel]
    run: Callable[[StepCall], Awaitable[StepResult]]
    effect: Effect
    description: str
    # extra save-time checks (secrets, allowed hosts): raise ConfigInvalid
    validate: Callable[[BaseModel, StepEnv], None] | None = None
    # asked before running again after an unknown outcome (effect "lookup")
    lookup: Callable[[StepCall], Awaitable[StepResult | None]] | None = None
    # values fixed before the first attempt and recorded with it (e.g. an e-mail's Message-ID)
    prepare: Callable[[StepCall], dict[str, Any]] | None = None
    # config fields that are not templates (rendered as they are)
    raw_fields: frozenset[str] = frozenset()


class StepRegistry:
    def __init__(self) -> None:
        self._types: dict[str, StepType] = {}

    def register(self, step: StepType) -> StepType:
        if step.name in self._types and self._types[step.name] is not step:
            raise ValueError(f"step type {step.name!r} registered twice")
        if step.effect == "lookup" and step.lookup is None:
            raise ValueError(f"step type {step.name!r}: effect 'lookup' needs a lookup")
        self._types[step.name] = step
        return step

    def get(self, name: str) -> StepType | None:
        return self._types.get(name)

    def names(self) -> list[str]:
        return sorted(self._types)
