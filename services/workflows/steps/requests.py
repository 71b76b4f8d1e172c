"""Steps that ask another service over the broker: `create_quote`, `get_quote` (billing) and
`run_agent` (agents). A writing request is sent with a request id derived from the run and the
step, the same on every attempt, so the callee acts once however often the step is tried."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from libs.common.errors import RemoteError, RequestTimeout
from libs.common.events.agents import Budget, CreateObjective, ObjectiveReply
from libs.common.events.billing import CreateQuote, GetQuote, QuoteLineIn, QuoteReply
from libs.common.messages import Message
from services.workflows.steps.base import StepCall, StepFailed, StepResult, StepType

# error codes after which another attempt cannot succeed
_FINAL = frozenset({"not_found", "invalid_arguments", "unknown_agent", "unknown_tool", "invalid_budget",
                    "bad_request", "invalid_quote", "invalid_message"})


def request_id(call: StepCall) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"comptoir-workflow-step:{call.idempotency_key}")


async def _ask(call: StepCall, request_type: str, body: Message, reply: type[Any], timeout: float) -> Any:
    try:
        return await call.env.rpc.request(request_type, body, reply, timeout=timeout, request_id=request_id(call))
    except RemoteError as exc:
        retry = exc.code not in _FINAL
        raise StepFailed(f"{request_type}: {exc.code}: {exc}", retryable=retry) from exc
    except RequestTimeout as exc:
        raise StepFailed(f"{request_type}: no answer in {timeout:.0f} s", retryable=True, unknown=True) from exc


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateQuoteConfig(_Config):
    email: str | None = None
    session_id: str | None = None
    currency: str = "EUR"
    lines: list[dict[str, Any]] = Field(min_length=1, max_length=100)
    provider: str | None = None
    validity_hours: int | None = None


async def run_create_quote(call: StepCall) -> StepResult:
    cfg: CreateQuoteConfig = call.config
    try:
        body = CreateQuote(email=cfg.email or None, session_id=cfg.session_id or None, currency=cfg.currency,
                           lines=[QuoteLineIn.model_validate(line) for line in cfg.lines],
                           provider=cfg.provider, validity_hours=cfg.validity_hours)
    except ValueError as exc:
        raise StepFailed(f"create_quote: invalid quote after rendering: {exc}") from exc
    timeout = call.env.settings.rpc_timeout_s
    reply: QuoteReply = await _ask(call, "billing.create_quote", body, QuoteReply, timeout)
    return StepResult(output={"quote": reply.quote.model_dump(mode="json")}, provider_id=reply.quote.id)


class GetQuoteConfig(_Config):
    quote_id: str = Field(min_length=1, max_length=200)


async def run_get_quote(call: StepCall) -> StepResult:
    quote_id = call.config.quote_id.strip()
    if not quote_id:
        raise StepFailed("get_quote: `quote_id` rendered empty")
    reply: QuoteReply = await _ask(call, "billing.get_quote", GetQuote(quote_id=quote_id), QuoteReply,
                                   call.env.settings.rpc_timeout_s)
    return StepResult(output={"quote": reply.quote.model_dump(mode="json")})


class RunAgentConfig(_Config):
    agent: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=20_000)
    tools_allowed: list[str] | None = None
    budget: Budget | None = None
    priority: int = Field(0, ge=0, le=100)


async def run_agent(call: StepCall) -> StepResult:
    cfg: RunAgentConfig = call.config
    try:
        body = CreateObjective(agent=cfg.agent, title=cfg.title, description=cfg.description,
                               tools_allowed=cfg.tools_allowed, budget=cfg.budget, priority=cfg.priority,
                               created_by=f"workflow:{call.workflow}", start=True)
    except ValueError as exc:
        raise StepFailed(f"run_agent: invalid objective after rendering: {exc}") from exc
    reply: ObjectiveReply = await _ask(call, "agents.create_objective", body, ObjectiveReply,
                                       call.env.settings.rpc_timeout_s)
    return StepResult(output={"objective_id": reply.objective.id, "run_id": reply.run.id if reply.run else None,
                              "agent": reply.objective.agent}, provider_id=reply.objective.id)


STEPS = (
    StepType("create_quote", CreateQuoteConfig, run_create_quote, "idempotent",
             "Ask billing for a quote (`lines`, `email`, `session_id`, `currency`, `provider`)."),
    StepType("get_quote", GetQuoteConfig, run_get_quote, "none",
             "The quote's current state (`quote_id`), e.g. to check it is still unpaid."),
    StepType("run_agent", RunAgentConfig, run_agent, "idempotent",
             "Start an agent objective (`agent`, `title`, `description`, `tools_allowed`, `budget`).",
             raw_fields=frozenset({"budget", "tools_allowed"})),
)
