"""Step types. `builtin_registry()` holds every type this package defines; other modules of the
service (B2's social steps) add theirs with `registry.register(StepType(...))` in their `register`
hook (services/workflows/app.py)."""

from __future__ import annotations

from services.workflows.steps import drive, flow, http, mail, requests, text, whatsapp
from services.workflows.steps.base import (
    Attempt,
    ConfigInvalid,
    Effect,
    StepCall,
    StepFailed,
    StepRegistry,
    StepResult,
    StepType,
)


def builtin_registry() -> StepRegistry:
    registry = StepRegistry()
    for step in (*flow.STEPS, *requests.STEPS, mail.STEP, whatsapp.STEP, drive.STEP, http.STEP, text.STEP):
        registry.register(step)
    return registry


__all__ = ["Attempt", "ConfigInvalid", "Effect", "StepCall", "StepFailed", "StepRegistry", "StepResult", "StepType",
           "builtin_registry"]
