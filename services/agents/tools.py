"""The tools agents may call: name, description, JSON schema of the arguments, risk, and a handler
that talks to the service owning the data over the broker (reads of shared tables aside).

Each tool's arguments are a pydantic model: its JSON schema is what the model is shown and what a
call is validated against (an invalid call becomes a failed tool call, its error handed back to the
model). A tool that writes asks the owning service with the tool call's id as the request id, so the
owner's request idempotency answers a repeat with the first reply. `resume` says what a tool call
found in flight after a crash gets: `replay` (read-only, or idempotent by request id: asked again
with the same id) or `at_most_once` (e-mail: SMTP does not deduplicate, so it is not sent again).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from libs.common.errors import RemoteError, RequestTimeout
from libs.common.events.agents import AgentOwnerNotified, ToolInfo
from libs.common.events.billing import CreateQuote, ProductResults, QuoteLineIn, QuoteReply, SearchProducts
from libs.common.events.chat import Conversation, GetConversation, LeadReply, UpdateLead
from libs.common.events.rag import KnowledgeSearchResults, SearchKnowledge
from libs.common.events.social import EnqueueSocialPost, SocialPostReply
from libs.common.messages import Message
from libs.common.outbox import add_event
from libs.common.rpc import RpcClient
from libs.mail import MailError, MailSettings, send_mail
from services.agents import queries
from services.agents.config import AgentsSettings

Risk = Literal["low", "medium", "high"]
RISK_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}
ReplyT = Any


class ToolError(Exception):
    """The tool could not do what was asked; the message goes back to the model."""


class ToolInProgress(Exception):
    """The owning service is still handling this very request (same id): ask again later."""


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class ToolContext:
    rpc: RpcClient
    pool: asyncpg.Pool
    settings: AgentsSettings
    mail: MailSettings
    tool_call_id: uuid.UUID
    run_id: str
    objective_id: str | None
    agent: str


Handler = Callable[[Any, ToolContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    risk: Risk
    args_model: type[Args]
    handler: Handler
    resume: Literal["replay", "at_most_once"] = "replay"
    owner_args_model: type[Args] | None = None  # what the owner may set when approving (custom prices)

    def parameters(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()

    def openai(self) -> dict[str, Any]:
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": self.parameters()}}

    def info(self) -> ToolInfo:
        return ToolInfo(name=self.name, description=self.description, risk_level=self.risk,
                        parameters=self.parameters())

    def validate(self, args: Any, *, by_owner: bool = False) -> Args:
        """The arguments as the tool's model; ToolError with every problem when they do not fit."""
        model = self.owner_args_model if by_owner and self.owner_args_model is not None else self.args_model
        if not isinstance(args, dict):
            raise ToolError(f"{self.name}: arguments must be a JSON object")
        try:
            return model.model_validate(args)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors())
            raise ToolError(f"{self.name}: invalid arguments: {problems}") from exc


async def _ask(tc: ToolContext, request_type: str, body: Message, reply: type[ReplyT], *,
               writes: bool = False) -> ReplyT:
    """A request to the owning service; a write carries the tool call id as its request id, so a
    repeat (a resumed run, a retry after a timeout) gets the first reply and acts once."""
    request_id = tc.tool_call_id if writes else None
    attempts = 2 if writes else 1  # a write that timed out is asked again under the same id
    for attempt in range(attempts):
        try:
            return await tc.rpc.request(request_type, body, reply, timeout=tc.settings.tool_timeout_s,
                                        request_id=request_id)
        except RemoteError as exc:
            if exc.code == "in_progress":
                raise ToolInProgress(exc.message) from exc
            raise ToolError(f"{exc.code}: {exc.message}") from exc
        except RequestTimeout as exc:
            if attempt + 1 >= attempts:
                raise ToolError(f"{request_type} did not answer within {tc.settings.tool_timeout_s}s") from exc
    raise AssertionError("unreachable")


# ---- read-only tools -----------------------------------------------------------------------------
class SearchKnowledgeArgs(Args):
    query: str = Field(min_length=1, max_length=500, description="what to look for in the shop's knowledge base")
    k: int = Field(5, ge=1, le=10, description="how many passages")


async def search_knowledge(args: SearchKnowledgeArgs, tc: ToolContext) -> dict[str, Any]:
    found = await _ask(tc, SearchKnowledge.TYPE, SearchKnowledge(query=args.query, k=args.k), KnowledgeSearchResults)
    return {"hits": [{"content": h.content[:800], "source": h.source, "score": round(h.score, 4)} for h in found.hits]}


class NoArgs(Args):
    pass


async def get_company_facts(args: NoArgs, tc: ToolContext) -> dict[str, Any]:
    return {"facts": await queries.company_facts(tc.pool)}


class ListLeadsArgs(Args):
    since_days: int = Field(7, ge=1, le=365, description="leads created in the last N days")
    min_score: int = Field(0, ge=0, le=100)
    without_purchase: bool = Field(False, description="only leads who never bought")
    limit: int = Field(20, ge=1, le=50)


async def list_leads(args: ListLeadsArgs, tc: ToolContext) -> dict[str, Any]:
    leads = await queries.list_leads(tc.pool, args.since_days, args.min_score, args.without_purchase, args.limit)
    return {"leads": leads, "count": len(leads)}


class GetLeadArgs(Args):
    lead_id: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=320)


async def get_lead(args: GetLeadArgs, tc: ToolContext) -> dict[str, Any]:
    if not args.lead_id and not args.email:
        raise ToolError("get_lead: give lead_id or email")
    lead = await queries.get_lead(tc.pool, args.lead_id, args.email)
    if lead is None:
        raise ToolError(f"no lead {args.lead_id or args.email}")
    return {"lead": lead}


class GetConversationArgs(Args):
    session_id: str = Field(min_length=1, max_length=200)


async def get_conversation(args: GetConversationArgs, tc: ToolContext) -> dict[str, Any]:
    found = await _ask(tc, GetConversation.TYPE, GetConversation(session_id=args.session_id), Conversation)
    if not found.exists:
        raise ToolError(f"no conversation {args.session_id}")
    messages = [{"role": m.role, "content": m.content[:600], "at": m.at} for m in found.messages[-20:]]
    return {"session_id": found.session_id, "state": found.state, "email": found.email, "lead_id": found.lead_id,
            "summary": found.summary, "messages": messages}


class SearchProductsArgs(Args):
    query: str = Field(min_length=1, max_length=300)
    limit: int = Field(5, ge=1, le=20)


async def search_products(args: SearchProductsArgs, tc: ToolContext) -> dict[str, Any]:
    found = await _ask(tc, SearchProducts.TYPE, SearchProducts(query=args.query, limit=args.limit), ProductResults)
    return {"products": [
        {"id": p.id, "name": p.name, "price": str(p.price), "currency": p.currency, "in_stock": p.in_stock,
         "quotable": p.quotable, "variants": [{"id": v.id, "name": v.name, "price": str(v.price)} for v in p.variants]}
        for p in found.products]}


class ListIncidentsArgs(Args):
    since_days: int = Field(30, ge=1, le=365)
    severity: Literal["low", "medium", "high", "critical"] | None = None
    unresolved_only: bool = False
    limit: int = Field(50, ge=1, le=200)


async def list_incidents(args: ListIncidentsArgs, tc: ToolContext) -> dict[str, Any]:
    incidents = await queries.list_incidents(tc.pool, args.since_days, args.severity, args.unresolved_only, args.limit)
    return {"incidents": incidents, "count": len(incidents)}


# ---- tools that write ----------------------------------------------------------------------------
class QuoteLineArgs(Args):
    product_id: str = Field(min_length=1, max_length=200, description="a catalogue product id (search_products)")
    variant_id: str | None = Field(None, max_length=200)
    quantity: int = Field(1, ge=1, le=1000)


class CreateQuoteArgs(Args):
    """Prices come from the catalogue: the model names products, never prices."""

    email: str | None = Field(None, max_length=320, description="the customer's e-mail")
    session_id: str | None = Field(None, max_length=200)
    lines: list[QuoteLineArgs] = Field(min_length=1, max_length=20)


class OwnerQuoteLine(Args):
    product_id: str | None = Field(None, max_length=200)
    variant_id: str | None = Field(None, max_length=200)
    label: str | None = Field(None, max_length=300)
    unit_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    quantity: int = Field(1, ge=1, le=1000)


class OwnerQuoteArgs(Args):
    """The owner, approving, may add free lines with their own price."""

    email: str | None = Field(None, max_length=320)
    session_id: str | None = Field(None, max_length=200)
    lines: list[OwnerQuoteLine] = Field(min_length=1, max_length=50)


async def create_quote(args: CreateQuoteArgs | OwnerQuoteArgs, tc: ToolContext) -> dict[str, Any]:
    lines = [QuoteLineIn(**line.model_dump(exclude_none=True)) for line in args.lines]
    kind = "product" if all(line.product_id for line in lines) else "custom"
    request = CreateQuote(type=kind, email=args.email, session_id=args.session_id, lines=lines)
    quote = (await _ask(tc, CreateQuote.TYPE, request, QuoteReply, writes=True)).quote
    lines_out = [{"label": ln.label, "quantity": ln.quantity, "line_total": str(ln.line_total)} for ln in quote.lines]
    return {"quote_id": quote.id, "status": quote.status, "currency": quote.currency,
            "total": str(quote.totals.gross), "lines": lines_out, "checkout_url": quote.checkout_url,
            "pdf_url": quote.pdf_url}


class SendEmailArgs(Args):
    to: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                    description="a lead's e-mail, or the owner's")
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)


async def owner_address(tc: ToolContext) -> str | None:
    return tc.settings.owner_email or (await queries.company_facts(tc.pool)).get("contact_email")


def _message_id(tc: ToolContext) -> str:
    domain = (tc.mail.from_ or "comptoir.invalid").rpartition("@")[2] or "comptoir.invalid"
    return f"<agent-{tc.tool_call_id}@{domain}>"


async def _mail(tc: ToolContext, to: str, subject: str, body: str) -> dict[str, Any]:
    try:
        sent = await send_mail(tc.mail, to, subject, body, message_id=_message_id(tc))
    except MailError as exc:
        raise ToolError(f"e-mail not sent: {exc.reason}") from exc
    return {"sent": True, "to": to, "message_id": sent.message_id, "queue_id": sent.queue_id}


async def send_email(args: SendEmailArgs, tc: ToolContext) -> dict[str, Any]:
    owner = await owner_address(tc)
    is_owner = owner is not None and args.to.lower() == owner.lower()
    if not is_owner and not await queries.lead_email_exists(tc.pool, args.to):
        raise ToolError(f"{args.to} is neither a lead's e-mail nor the owner's: not sent")
    return await _mail(tc, args.to, args.subject, args.body)


class SocialPostArgs(Args):
    platforms: list[Literal["facebook", "instagram"]] = Field(min_length=1, max_length=2)
    content: str = Field(min_length=1, max_length=5000)
    media_url: str | None = Field(None, max_length=2000)
    media_type: Literal["image", "video"] | None = None
    scheduled_at: str | None = Field(None, max_length=40, description="ISO-8601; publish not before")


async def enqueue_social_post(args: SocialPostArgs, tc: ToolContext) -> dict[str, Any]:
    request = EnqueueSocialPost(**args.model_dump(), source_kind="agent", source_id=tc.run_id)
    post = (await _ask(tc, EnqueueSocialPost.TYPE, request, SocialPostReply, writes=True)).post
    return {"post_id": post.id, "status": post.status, "platforms": list(post.platforms),
            "scheduled_at": post.scheduled_at}


class UpdateLeadArgs(Args):
    lead_id: str = Field(min_length=1, max_length=100)
    score: int | None = Field(None, ge=0, le=100)
    note: str | None = Field(None, min_length=1, max_length=2000)


async def update_lead(args: UpdateLeadArgs, tc: ToolContext) -> dict[str, Any]:
    if args.score is None and args.note is None:
        raise ToolError("update_lead: give score and/or note")
    request = UpdateLead(lead_id=args.lead_id, score=args.score, note=args.note, author=f"agent:{tc.agent}")
    lead = (await _ask(tc, UpdateLead.TYPE, request, LeadReply, writes=True)).lead
    return {"lead_id": lead.id, "score": lead.score, "notes": len(lead.notes)}


class NotifyOwnerArgs(Args):
    subject: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=5000)


async def notify_owner(args: NotifyOwnerArgs, tc: ToolContext) -> dict[str, Any]:
    """An `agent.owner.notified` event (the console shows it), and an e-mail when mail and the
    owner's address are configured."""
    result: dict[str, Any] = {"notified": True}
    owner = await owner_address(tc)
    if tc.mail.configured and owner:
        result["mail"] = await _mail(tc, owner, args.subject, args.message)
    else:
        result["mail"] = tc.mail.missing_reason() or "no owner e-mail (AGENTS_OWNER_EMAIL or fact contact_email)"
    async with tc.pool.acquire() as conn, conn.transaction():
        await add_event(conn, AgentOwnerNotified(run_id=tc.run_id, objective_id=tc.objective_id, agent=tc.agent,
                                                 data={"subject": args.subject, "message": args.message,
                                                       "tool_call_id": str(tc.tool_call_id)}),
                        source="agents", aggregate_id=tc.run_id)
    return result


def _tool(name: str, description: str, risk: Risk, args: type[Args], handler: Handler, **extra: Any) -> Tool:
    return Tool(name, description, risk, args, handler, **extra)


TOOLS: dict[str, Tool] = {t.name: t for t in (
    _tool("search_knowledge", "Search the shop's knowledge base (documents, FAQ).", "low",
          SearchKnowledgeArgs, search_knowledge),
    _tool("get_company_facts", "The shop's facts: name, contact, policies, delivery.", "low", NoArgs,
          get_company_facts),
    _tool("list_leads", "Recent leads with their score and purchases.", "low", ListLeadsArgs, list_leads),
    _tool("get_lead", "One lead by id or e-mail, with its notes.", "low", GetLeadArgs, get_lead),
    _tool("get_conversation", "A visitor conversation's transcript and lead.", "low", GetConversationArgs,
          get_conversation),
    _tool("search_products", "Search the product catalogue (prices, stock, variants).", "low",
          SearchProductsArgs, search_products),
    _tool("list_incidents", "Security incidents of the last days.", "low", ListIncidentsArgs, list_incidents),
    _tool("create_quote", "Create a quote for catalogue products (prices come from the catalogue).", "medium",
          CreateQuoteArgs, create_quote, owner_args_model=OwnerQuoteArgs),
    _tool("send_email", "Send an e-mail to a lead or to the owner.", "high", SendEmailArgs, send_email,
          resume="at_most_once"),
    _tool("enqueue_social_post", "Queue a Facebook/Instagram post (published after the owner's approval).",
          "medium", SocialPostArgs, enqueue_social_post),
    _tool("update_lead", "Set a lead's score and/or add a note.", "medium", UpdateLeadArgs, update_lead),
    _tool("notify_owner", "Tell the owner something (console notice, and e-mail when configured).", "low",
          NotifyOwnerArgs, notify_owner, resume="at_most_once"),
)}


def needs_approval(risk: str, threshold: str) -> bool:
    """A call needs the owner when its risk is at or above the objective's risk level."""
    return RISK_ORDER.get(risk, 2) >= RISK_ORDER.get(threshold, 1)
