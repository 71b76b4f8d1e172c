"""Message schemas owned by the agents service: registry, objectives, runs, approvals, super chat.

Requests are answered by `services/agents`; the gateway's admin API and console, the CLI and the
workflows service (`run_agent` step) ask them over the broker. Times travel as ISO-8601 strings.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from libs.common.messages import Message, message_type

RiskLevel = Literal["low", "medium", "high"]
RunStatus = Literal["running", "completed", "failed", "paused", "cancelled"]
ApprovalStatus = Literal["pending", "approved", "rejected", "expired"]
Decision = Literal["approve", "reject"]

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class Budget(Message):
    """The limits of one run; time waiting for an approval does not count towards `max_duration_ms`."""

    max_steps: int = Field(10, ge=1, le=1000)
    max_tool_calls: int = Field(20, ge=0, le=5000)
    max_duration_ms: int = Field(300_000, ge=1000, le=86_400_000)


class ToolInfo(Message):
    name: str
    description: str
    risk_level: RiskLevel
    parameters: dict[str, Any] = {}  # JSON schema of the arguments


class AgentInfo(Message):
    name: str
    description: str = ""
    enabled: bool = True
    tools: list[str] = []
    config: dict[str, Any] = {}  # default budget, approval policy, model, temperature


@message_type("agents.list_agents")
class ListAgents(Message):
    """Read-only: the registry, with each agent's tools and settings, and the tools in code."""


@message_type("agents.agents")
class AgentList(Message):
    agents: list[AgentInfo] = []
    tools: list[ToolInfo] = []


@message_type("agents.create_objective")
class CreateObjective(Message):
    """Writes: an objective for `agent`; unknown agent or tool → error `unknown_agent` / `unknown_tool`."""

    agent: str = Field(pattern=NAME_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=20_000)
    tools_allowed: list[str] | None = None  # None: every tool assigned to the agent
    budget: Budget | None = None  # None: the agent's default budget
    risk_level: RiskLevel | None = None  # lowest risk that needs approval; None: the agent's policy
    priority: int = Field(0, ge=0, le=100)
    created_by: str | None = Field(None, max_length=200)
    start: bool = False  # also start a first run


class ObjectiveInfo(Message):
    id: str
    agent: str
    title: str
    description: str = ""
    tools_allowed: list[str] = []
    budget: Budget
    risk_level: RiskLevel
    priority: int = 0
    status: str = "active"
    created_at: str | None = None


class RunInfo(Message):
    id: str
    objective_id: str
    agent: str
    run_number: int
    status: RunStatus
    stop_reason: str | None = None  # e.g. "budget_exhausted: steps", "no_llm_configured"
    summary: str | None = None
    steps: int = 0
    tool_calls: int = 0
    tokens: int = 0
    cost: str | None = None  # decimal string
    started_at: str | None = None
    finished_at: str | None = None
    title: str = ""


@message_type("agents.objective")
class ObjectiveReply(Message):
    objective: ObjectiveInfo
    run: RunInfo | None = None


@message_type("agents.start_run")
class StartRun(Message):
    """Writes: a new run of the objective (run_number counts per objective)."""

    objective_id: str = Field(min_length=1, max_length=100)


@message_type("agents.run")
class RunReply(Message):
    run: RunInfo


@message_type("agents.list_runs")
class ListRuns(Message):
    status: RunStatus | None = None
    objective_id: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


@message_type("agents.runs")
class RunList(Message):
    items: list[RunInfo] = []
    total: int = 0


@message_type("agents.get_run")
class GetRun(Message):
    run_id: str = Field(min_length=1, max_length=100)


class StepInfo(Message):
    id: str
    step_number: int
    thought: str | None = None
    tool: str | None = None
    args: dict[str, Any] | None = None
    result: Any = None
    status: str
    risk_level: RiskLevel | None = None
    duration_ms: int | None = None
    created_at: str | None = None


class ToolCallInfo(Message):
    id: str
    step_id: str | None = None
    tool: str
    args: dict[str, Any] = {}
    result: Any = None
    status: str  # pending | awaiting_approval | succeeded | failed | refused
    error: str | None = None
    duration_ms: int | None = None
    created_at: str | None = None


class AgentEventInfo(Message):
    id: str
    type: str  # step_started | step_completed | tool_called | approval_requested | … (docs/agents.md)
    data: dict[str, Any] = {}
    created_at: str | None = None


class ApprovalInfo(Message):
    id: str
    run_id: str
    tool_call_id: str | None = None
    agent: str = ""
    tool: str
    args: dict[str, Any] = {}
    risk_level: RiskLevel
    status: ApprovalStatus
    reason: str | None = None
    decided_by: str | None = None
    expires_at: str | None = None
    decided_at: str | None = None
    created_at: str | None = None
    objective_title: str = ""


@message_type("agents.run_detail")
class RunDetail(Message):
    run: RunInfo
    steps: list[StepInfo] = []
    tool_calls: list[ToolCallInfo] = []
    events: list[AgentEventInfo] = []
    approvals: list[ApprovalInfo] = []


@message_type("agents.cancel_run")
class CancelRun(Message):
    run_id: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(None, max_length=1000)


@message_type("agents.list_approvals")
class ListApprovals(Message):
    status: ApprovalStatus | None = "pending"
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


@message_type("agents.approvals")
class ApprovalList(Message):
    items: list[ApprovalInfo] = []
    total: int = 0


@message_type("agents.decide_approval")
class DecideApproval(Message):
    """Writes: approve (optionally with edited `args`) or reject; unknown → `not_found` (404), already
    decided or expired → `approval_closed` (409)."""

    approval_id: str = Field(min_length=1, max_length=100)
    decision: Decision
    args: dict[str, Any] | None = None
    reason: str | None = Field(None, max_length=2000)
    decided_by: str | None = Field(None, max_length=200)


@message_type("agents.approval")
class ApprovalReply(Message):
    approval: ApprovalInfo


# ---- the owner's super chat (app_admin_conversation) ---------------------------------------------
@message_type("agents.admin_chat")
class AdminChat(Message):
    """Writes (the conversation): one owner message; answered from the data through read-only tools,
    or from the documented commands (`/leads 7j`, `/devis en attente`, `/incidents`, `/objectif …`)."""

    message: str = Field(min_length=1, max_length=4000)
    conversation_id: str | None = Field(None, max_length=100)
    admin_user: str | None = Field(None, max_length=200)
    locale: Literal["fr", "en"] = "fr"  # the language of the answers (the console's)


class AdminChatMessage(Message):
    role: Literal["user", "assistant"]
    content: str
    at: str = ""
    data: dict[str, Any] | None = None  # rows behind the answer (leads, quotes, incidents, …)


@message_type("agents.admin_chat.reply")
class AdminChatReply(Message):
    conversation_id: str
    reply: str
    data: dict[str, Any] | None = None
    objective_id: str | None = None
    run_id: str | None = None


@message_type("agents.get_admin_chat")
class GetAdminChat(Message):
    conversation_id: str | None = Field(None, max_length=100)  # None: the latest conversation
    admin_user: str | None = Field(None, max_length=200)


@message_type("agents.admin_chat.history")
class AdminChatHistory(Message):
    conversation_id: str | None = None
    messages: list[AdminChatMessage] = []


# ---- the runner (agents only) and the facts of a run (docs/agents.md, "Events") -------------------
@message_type("agents.run.advance")
class AdvanceRun(Message):
    """Command, consumed by the agents service only: take the run's next step. `seq` is the run's step
    sequence it was sent for; a copy sent for an older sequence (a duplicate) does nothing."""

    run_id: str
    seq: int = Field(ge=0)


class AgentRunFact(Message):
    """One fact of a run, also written to `app_agent_events` (its `data` is that row's)."""

    run_id: str
    objective_id: str | None = None
    agent: str = ""
    data: dict[str, Any] = {}


@message_type("agent.run.started")
class AgentRunStarted(AgentRunFact):
    """A run was created (`data.run_number`)."""


@message_type("agent.step.started")
class AgentStepStarted(AgentRunFact):
    """The model was asked for the run's next step (`data.step_number`)."""


@message_type("agent.step.completed")
class AgentStepCompleted(AgentRunFact):
    """A step ended: its thought, its tool calls' outcomes, its duration."""


@message_type("agent.tool.called")
class AgentToolCalled(AgentRunFact):
    """A tool call ended (`data.status`: succeeded | failed | refused)."""


@message_type("agent.approval.requested")
class AgentApprovalRequested(AgentRunFact):
    """A risky tool call waits for the owner (`data.approval_id`, `tool`, `args`, `risk_level`)."""


@message_type("agent.approval.granted")
class AgentApprovalGranted(AgentRunFact):
    """The owner approved (maybe with edited arguments); the run goes on."""


@message_type("agent.approval.rejected")
class AgentApprovalRejected(AgentRunFact):
    """The owner refused (`data.reason`); the model is told and goes on or ends."""


@message_type("agent.approval.expired")
class AgentApprovalExpired(AgentRunFact):
    """Nobody answered in time; the run is cancelled."""


@message_type("agent.run.budget_exhausted")
class AgentBudgetExhausted(AgentRunFact):
    """The run stopped at a budget (`data.budget`: steps | tool_calls | duration), with its summary."""


@message_type("agent.run.completed")
class AgentRunCompleted(AgentRunFact):
    """The model gave its final answer (`data.summary`)."""


@message_type("agent.run.failed")
class AgentRunFailed(AgentRunFact):
    """The run could not go on (`data.reason`, e.g. no_llm_configured, llm_timeout)."""


@message_type("agent.run.cancelled")
class AgentRunCancelled(AgentRunFact):
    """The owner cancelled the run, or its approval expired."""


@message_type("agent.owner.notified")
class AgentOwnerNotified(AgentRunFact):
    """An agent's `notify_owner` tool: `data.subject`, `data.message` (and the mail's queue id if sent)."""
