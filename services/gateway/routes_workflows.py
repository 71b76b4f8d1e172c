"""Admin API of the workflows (bearer GATEWAY_ADMIN_TOKEN): the workflows service answers over the broker.

- `GET /v1/admin/workflows?enabled=` → every workflow; `POST /v1/admin/workflows` {name, description?,
  trigger_event | trigger_cron, steps, settings?, enabled?} → 201
- `GET /v1/admin/workflows/{name}` (with its latest runs), `PUT /v1/admin/workflows/{name}` (replace),
  `DELETE /v1/admin/workflows/{name}`, `POST /v1/admin/workflows/{name}/enable` | `/disable`
- `POST /v1/admin/workflows/{name}/run` {event?} → 202 the queued run
- `GET /v1/admin/workflows/runs?name=&status=&limit=`, `GET /v1/admin/workflows/runs/{run_id}` (every
  step attempt: input, output, provider id, error)

Errors: unknown name or run → 404; a name already taken → 409; an invalid cron, an unknown step type,
a template that does not compile, a missing secret → 422 with the reason. POSTs accept `Idempotency-Key`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.common.errors import RemoteError
from libs.common.events.workflows import (
    CreateWorkflow,
    DeleteWorkflow,
    GetWorkflow,
    GetWorkflowRun,
    ListWorkflowRuns,
    ListWorkflows,
    RunReply,
    RunStatus,
    RunWorkflow,
    SetWorkflowEnabled,
    UpdateWorkflow,
    WorkflowDefinition,
    WorkflowDeleted,
    WorkflowList,
    WorkflowReply,
    WorkflowRunList,
)
from libs.common.messages import Message
from libs.common.rpc import ReplyT
from services.gateway import idempotency
from services.gateway.deps import GatewayDep
from services.gateway.errors import domain_error
from services.gateway.routes_admin import require_admin

router = APIRouter(prefix="/v1/admin/workflows", tags=["admin", "workflows"], dependencies=[Depends(require_admin)])
Name = Annotated[str, Field(max_length=80)]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: dict[str, Any] = Field(default_factory=dict, description="the trigger's data seen by the templates")


async def _ask(gw: GatewayDep, body: Message, reply: type[ReplyT], request: Request | None = None) -> ReplyT:
    request_id = idempotency.request_id_of(request) if request is not None else None
    try:
        return await gw.rpc.request(body.TYPE, body, reply, request_id=request_id)
    except RemoteError as exc:
        raise domain_error(exc) from exc


@router.get("", response_model=WorkflowList)
async def list_workflows(gw: GatewayDep, enabled: bool | None = None) -> dict[str, Any]:
    return (await _ask(gw, ListWorkflows(enabled=enabled), WorkflowList)).model_dump(mode="json")


@router.post("", status_code=201, response_model=WorkflowReply)
async def create_workflow(body: WorkflowDefinition, request: Request, gw: GatewayDep) -> dict[str, Any]:
    """A new workflow; checked whole before it is saved."""
    return (await _ask(gw, CreateWorkflow(workflow=body), WorkflowReply, request)).model_dump(mode="json")


@router.get("/runs", response_model=WorkflowRunList, responses={404: {"description": "no workflow of that name"}})
async def list_runs(gw: GatewayDep, name: Annotated[str | None, Query(max_length=80)] = None,
                    status: RunStatus | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    req = ListWorkflowRuns(name=name or None, status=status, limit=limit)
    return (await _ask(gw, req, WorkflowRunList)).model_dump(mode="json")


@router.get("/runs/{run_id}", response_model=RunReply)
async def get_run(run_id: str, gw: GatewayDep) -> dict[str, Any]:
    return (await _ask(gw, GetWorkflowRun(run_id=run_id[:64]), RunReply)).model_dump(mode="json")


@router.get("/{name}", response_model=WorkflowReply)
async def get_workflow(name: str, gw: GatewayDep) -> dict[str, Any]:
    return (await _ask(gw, GetWorkflow(name=name[:80]), WorkflowReply)).model_dump(mode="json")


@router.put("/{name}", response_model=WorkflowReply)
async def update_workflow(name: str, body: WorkflowDefinition, request: Request, gw: GatewayDep) -> dict[str, Any]:
    req = UpdateWorkflow(name=name[:80], workflow=body)
    return (await _ask(gw, req, WorkflowReply, request)).model_dump(mode="json")


@router.delete("/{name}", response_model=WorkflowDeleted)
async def delete_workflow(name: str, request: Request, gw: GatewayDep) -> dict[str, Any]:
    return (await _ask(gw, DeleteWorkflow(name=name[:80]), WorkflowDeleted, request)).model_dump(mode="json")


@router.post("/{name}/enable", response_model=WorkflowReply)
async def enable(name: str, gw: GatewayDep) -> dict[str, Any]:
    req = SetWorkflowEnabled(name=name[:80], enabled=True)
    return (await _ask(gw, req, WorkflowReply)).model_dump(mode="json")


@router.post("/{name}/disable", response_model=WorkflowReply)
async def disable(name: str, gw: GatewayDep) -> dict[str, Any]:
    req = SetWorkflowEnabled(name=name[:80], enabled=False)
    return (await _ask(gw, req, WorkflowReply)).model_dump(mode="json")


@router.post("/{name}/run", status_code=202, response_model=RunReply)
async def run_workflow(name: str, request: Request, gw: GatewayDep, body: RunIn | None = None) -> dict[str, Any]:
    """Run the workflow now (enabled or not) with `event` as its trigger's data."""
    req = RunWorkflow(name=name[:80], event=body.event if body else {})
    return (await _ask(gw, req, RunReply, request)).model_dump(mode="json")
