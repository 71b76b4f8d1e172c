"""A workflow definition is checked whole when it is saved; the first problem is the 422's reason."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from libs.common.events.workflows import StepSpec, WorkflowDefinition
from libs.common.messages import registry as message_registry
from services.workflows import cron, templates
from services.workflows.deps import StepEnv
from services.workflows.steps import ConfigInvalid, StepRegistry, StepType


class WorkflowInvalid(ValueError):
    """The reason a definition is refused (RemoteError `invalid_workflow`, HTTP 422, CLI exit 2)."""


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "config"
    return f"{where}: {error['msg']}"


def check_trigger(defn: WorkflowDefinition) -> None:
    if defn.trigger_event and defn.trigger_cron:
        raise WorkflowInvalid("give trigger_event or trigger_cron, not both")
    if defn.trigger_cron:
        try:
            cron.check(defn.trigger_cron)
        except cron.CronInvalid as exc:
            raise WorkflowInvalid(str(exc)) from exc
    if defn.trigger_event and defn.trigger_event not in message_registry():
        raise WorkflowInvalid(f"trigger_event {defn.trigger_event!r} is not an event type of the catalogue "
                              "(docs/architecture.md)")


def config_model(step: StepType, spec: StepSpec, where: str) -> BaseModel:
    try:
        return step.config_model.model_validate(spec.config)
    except ValidationError as exc:
        raise WorkflowInvalid(f"{where} ({spec.type}): {_first_error(exc)}") from exc


def check_step(spec: StepSpec, index: int, registry: StepRegistry, env: StepEnv) -> None:
    where = f"steps[{index}]"
    step = registry.get(spec.type)
    if step is None:
        raise WorkflowInvalid(f"{where}: unknown step type {spec.type!r} (known: {', '.join(registry.names())})")
    try:
        templates.check_all(spec.config, f"{where}.config")
    except templates.TemplateInvalid as exc:
        raise WorkflowInvalid(str(exc)) from exc
    model = config_model(step, spec, where)
    if step.validate is not None:
        try:
            step.validate(model, env)
        except ConfigInvalid as exc:
            raise WorkflowInvalid(f"{where}: {exc}") from exc


def check_definition(defn: WorkflowDefinition, registry: StepRegistry, env: StepEnv) -> None:
    check_trigger(defn)
    ids = [spec.id for spec in defn.steps if spec.id]
    if len(ids) != len(set(ids)):
        raise WorkflowInvalid(f"step ids must be unique: {ids}")
    for index, spec in enumerate(defn.steps):
        check_step(spec, index, registry, env)
