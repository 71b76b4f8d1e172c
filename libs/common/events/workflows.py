"""Message schemas of the workflows service (`app_workflows` and its run history).

Requests are answered by `services/workflows`; the gateway's admin API and console and the CLI ask
them over the broker. A workflow is addressed by its unique `name`. A definition holds the table's
own fields: `name`, `description`, `trigger_event` or `trigger_cron`, `steps`, `settings`, `enabled`
(docs/workflows.md). Times travel as ISO-8601 strings.

Error codes (RemoteError code → HTTP): `not_found` 404, `name_conflict` 409, `invalid_workflow` 422
(invalid cron, unknown step type, a template that does not compile, a missing secret, a host not on
the allow-list, a bad config).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from libs.common.messages import Message, message_type

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,79}$"
RunStatus = Literal["queued", "running", "waiting", "completed", "failed"]
StepStatus = Literal["running", "succeeded", "failed", "unknown"]
TriggerKind = Literal["event", "cron", "manual"]


class RetryPolicy(Message):
    max: int = Field(3, ge=0, le=20)  # retries after the first attempt
    base_delay_ms: int = Field(1000, ge=0, le=3_600_000)


class StepSpec(Message):
    type: str = Field(min_length=1, max_length=60)
    id: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,39}$")  # name of its output in `steps`
    config: dict[str, Any] = {}
    retry: RetryPolicy = RetryPolicy()
    timeout_ms: int = Field(30_000, ge=100, le=3_600_000)


class WorkflowSettings(Message):
    concurrency: int = Field(4, ge=1, le=100)  # parallel runs of this workflow
    rate_limit_ms: int = Field(0, ge=0, le=86_400_000)  # at least this long between two run starts
    catch_up: Literal["once", "skip"] | None = None  # cron after downtime; None: the service default
    locale: Literal["fr", "en"] = "fr"
    extra: dict[str, Any] = {}


class WorkflowDefinition(Message):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = Field(None, max_length=2000)
    trigger_event: str | None = Field(None, max_length=200)
    trigger_cron: str | None = Field(None, max_length=200)
    steps: list[StepSpec] = Field(min_length=1, max_length=50)
    settings: WorkflowSettings = WorkflowSettings()
    enabled: bool = True


class WorkflowInfo(Message):
    id: str
    name: str
    description: str | None = None
    trigger_event: str | None = None
    trigger_cron: str | None = None
    steps: list[StepSpec] = []
    settings: WorkflowSettings = WorkflowSettings()
    enabled: bool = True
    last_run_at: str | None = None
    last_run_status: str | None = None
    next_run_at: str | None = None  # cron only
    created_at: str | None = None
    updated_at: str | None = None


class StepRunInfo(Message):
    step_index: int
    step_type: str
    attempt: int
    status: StepStatus
    input: dict[str, Any] = {}
    output: dict[str, Any] | None = None
    provider_id: str | None = None
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: int | None = None


class RunInfo(Message):
    id: str
    workflow: str
    trigger_kind: TriggerKind
    trigger_ref: str
    status: RunStatus
    step_index: int = 0
    error: str | None = None
    input: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    scheduled_at: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    resume_at: str | None = None
    steps: list[StepRunInfo] = []  # only in `workflows.get_run`


@message_type("workflows.list")
class ListWorkflows(Message):
    """Read-only: every workflow, by name."""

    enabled: bool | None = None


@message_type("workflows.list.reply")
class WorkflowList(Message):
    workflows: list[WorkflowInfo] = []


@message_type("workflows.get")
class GetWorkflow(Message):
    """Read-only: one workflow and its latest runs."""

    name: str = Field(max_length=80)


@message_type("workflows.workflow")
class WorkflowReply(Message):
    workflow: WorkflowInfo
    runs: list[RunInfo] = []


@message_type("workflows.create")
class CreateWorkflow(Message):
    """Writes: a new workflow; an existing name → `name_conflict`, a bad definition → `invalid_workflow`."""

    workflow: WorkflowDefinition


@message_type("workflows.update")
class UpdateWorkflow(Message):
    """Writes: replace the definition of the workflow `name` (it may be renamed to `workflow.name`)."""

    name: str = Field(max_length=80)
    workflow: WorkflowDefinition


@message_type("workflows.set_enabled")
class SetWorkflowEnabled(Message):
    """Turn a workflow on or off (a repeat is harmless). Re-enabling a cron workflow does not catch up."""

    name: str = Field(max_length=80)
    enabled: bool


@message_type("workflows.delete")
class DeleteWorkflow(Message):
    """Writes: delete a workflow and its run history."""

    name: str = Field(max_length=80)


@message_type("workflows.deleted")
class WorkflowDeleted(Message):
    name: str
    deleted: bool


@message_type("workflows.run")
class RunWorkflow(Message):
    """Writes: run a workflow now (enabled or not), with `event` as the trigger's data."""

    name: str = Field(max_length=80)
    event: dict[str, Any] = {}


@message_type("workflows.list_runs")
class ListWorkflowRuns(Message):
    """Read-only: runs, newest first, of one workflow or of all."""

    name: str | None = Field(None, max_length=80)
    status: RunStatus | None = None
    limit: int = Field(50, ge=1, le=500)


@message_type("workflows.runs")
class WorkflowRunList(Message):
    runs: list[RunInfo] = []


@message_type("workflows.get_run")
class GetWorkflowRun(Message):
    """Read-only: one run with every step attempt (inputs, outputs, errors, provider ids)."""

    run_id: str = Field(max_length=64)


@message_type("workflows.run.reply")
class RunReply(Message):
    run: RunInfo


@message_type("workflow.run.started")
class WorkflowRunStarted(Message):
    run_id: str
    workflow: str
    trigger_kind: TriggerKind
    trigger_ref: str
    scheduled_at: str
    started_at: str


@message_type("workflow.run.completed")
class WorkflowRunCompleted(Message):
    run_id: str
    workflow: str
    trigger_kind: TriggerKind
    duration_ms: int
    steps: int


@message_type("workflow.run.failed")
class WorkflowRunFailed(Message):
    run_id: str
    workflow: str
    trigger_kind: TriggerKind
    step_index: int | None
    step_type: str | None
    reason: str
