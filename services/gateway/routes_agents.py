"""Admin API of the agents (bearer GATEWAY_ADMIN_TOKEN): the agents service answers over the broker.

- `GET /v1/admin/agents` → the agents with their tools and settings, and every tool (schema, risk)
- `POST /v1/admin/agents/objectives` {agent, title, description?, tools?, budget?, risk_level?, priority?,
  start?} → 201 the objective (and its first run with `start`)
- `POST /v1/admin/agents/objectives/{id}/runs` → 201 a new run of the objective
- `GET /v1/admin/agents/runs?status=&objective_id=&limit=&offset=`, `GET /v1/admin/agents/runs/{id}` (steps,
  tool calls, events, approvals), `POST /v1/admin/agents/runs/{id}/cancel` {reason?}
- `GET /v1/admin/agents/approvals?status=pending|approved|rejected|expired|all`,
  `POST /v1/admin/agents/approvals/{id}/approve` {args?, decided_by?},
  `POST /v1/admin/agents/approvals/{id}/reject` {reason?, decided_by?}

Errors: unknown agent or tool, a bad budget, edited arguments that do not fit → 422; unknown id → 404;
a decision on a closed approval, cancelling a finished run → 409. POSTs accept `Idempotency-Key`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from libs.common.errors import RemoteError
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
    RunList,
    RunReply,
    StartRun,
)
from libs.common.messages import Message
from libs.common.rpc import ReplyT
from services.gateway import idempotency
from services.gateway.deps import GatewayDep
from services.gateway.errors import ApiError, domain_error
from services.gateway.routes_admin import require_admin

router = APIRouter(prefix="/v1/admin/agents", tags=["admin", "agents"], dependencies=[Depends(require_admin)])
RunStatus = Literal["running", "completed", "failed", "paused", "cancelled"]
ApprovalStatus = Literal["pending", "approved", "rejected", "expired", "all"]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


class ObjectiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="sales_agent, content_agent, security_agent")
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=20_000)
    tools: list[str] | None = Field(None, max_length=50, description="none: every tool the agent is given")
    budget: dict[str, int] | None = Field(None, description="max_steps, max_tool_calls, max_duration_ms")
    risk_level: Literal["low", "medium", "high"] | None = Field(
        None, description="lowest tool risk that waits for approval; none: the agent's policy")
    priority: int = Field(0, ge=0, le=100)
    created_by: str | None = Field(None, max_length=200)
    start: bool = Field(False, description="also start a first run")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=1000)


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    args: dict[str, Any] | None = Field(None, description="edited arguments (the owner may set prices)")
    decided_by: str | None = Field(None, max_length=200)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=2000)
    decided_by: str | None = Field(None, max_length=200)


async def _ask(gw: GatewayDep, body: Message, reply: type[ReplyT], request: Request | None = None) -> ReplyT:
    request_id = idempotency.request_id_of(request) if request is not None else None
    try:
        return await gw.rpc.request(body.TYPE, body, reply, request_id=request_id)
    except RemoteError as exc:
        raise domain_error(exc) from exc


def budget_of(raw: dict[str, int] | None) -> Budget | None:
    if raw is None:
        return None
    try:
        return Budget.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ApiError(422, "invalid_budget", problems) from exc


@router.get("", response_model=AgentList)
async def list_agents(gw: GatewayDep) -> dict[str, Any]:
    return (await _ask(gw, ListAgents(), AgentList)).model_dump(mode="json")


@router.post("/objectives", status_code=201, response_model=ObjectiveReply)
async def create_objective(body: ObjectiveIn, request: Request, gw: GatewayDep) -> dict[str, Any]:
    """An objective for an agent; with `start`, its first run too (it fails at once without an LLM)."""
    req = CreateObjective(agent=body.agent, title=body.title, description=body.description,
                          tools_allowed=body.tools, budget=budget_of(body.budget), risk_level=body.risk_level,
                          priority=body.priority, created_by=body.created_by, start=body.start)
    return (await _ask(gw, req, ObjectiveReply, request)).model_dump(mode="json")


@router.post("/objectives/{objective_id}/runs", status_code=201, response_model=RunReply)
async def start_run(objective_id: str, request: Request, gw: GatewayDep) -> dict[str, Any]:
    return (await _ask(gw, StartRun(objective_id=objective_id[:100]), RunReply, request)).model_dump(mode="json")


@router.get("/runs", response_model=RunList)
async def list_runs(gw: GatewayDep, status: RunStatus | None = None,
                    objective_id: Annotated[str | None, Query(max_length=100)] = None,
                    limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    req = ListRuns(status=status, objective_id=objective_id or None, limit=limit, offset=offset)
    return (await _ask(gw, req, RunList)).model_dump(mode="json")


@router.get("/runs/{run_id}", response_model=RunDetail)
async def get_run(run_id: str, gw: GatewayDep) -> dict[str, Any]:
    """The run with its steps, tool calls, events and approvals."""
    return (await _ask(gw, GetRun(run_id=run_id[:100]), RunDetail)).model_dump(mode="json")


@router.post("/runs/{run_id}/cancel", response_model=RunReply)
async def cancel_run(run_id: str, request: Request, gw: GatewayDep, body: CancelIn | None = None) -> dict[str, Any]:
    req = CancelRun(run_id=run_id[:100], reason=body.reason if body else None)
    return (await _ask(gw, req, RunReply, request)).model_dump(mode="json")


@router.get("/approvals", response_model=ApprovalList)
async def list_approvals(gw: GatewayDep, status: ApprovalStatus = "pending", limit: Limit = 50,
                         offset: Offset = 0) -> dict[str, Any]:
    req = ListApprovals(status=None if status == "all" else status, limit=limit, offset=offset)
    return (await _ask(gw, req, ApprovalList)).model_dump(mode="json")


@router.post("/approvals/{approval_id}/approve", response_model=ApprovalReply)
async def approve(approval_id: str, request: Request, gw: GatewayDep, body: ApproveIn | None = None) -> dict[str, Any]:
    """Run the tool (once) with its arguments, or with the owner's edited ones."""
    req = DecideApproval(approval_id=approval_id[:100], decision="approve", args=body.args if body else None,
                         decided_by=body.decided_by if body else None)
    return (await _ask(gw, req, ApprovalReply, request)).model_dump(mode="json")


@router.post("/approvals/{approval_id}/reject", response_model=ApprovalReply)
async def reject(approval_id: str, request: Request, gw: GatewayDep, body: RejectIn | None = None) -> dict[str, Any]:
    """Refuse the call; the model is told, with the reason."""
    req = DecideApproval(approval_id=approval_id[:100], decision="reject", reason=body.reason if body else None,
                         decided_by=body.decided_by if body else None)
    return (await _ask(gw, req, ApprovalReply, request)).model_dump(mode="json")
