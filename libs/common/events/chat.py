"""Message schemas owned by the chat service: the turn, its streamed deltas, sessions, leads, handoff.

The streaming protocol with the gateway is described in docs/chat.md.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from libs.common.messages import Message, message_type

MAX_MESSAGE_CHARS = 20_000
# "human": a human holds the conversation; the visitor's message was stored for them, not answered
Mode = Literal["llm", "grounded", "human"]


class Citation(Message):
    source: str
    title: str | None = None
    doc_id: str | None = None
    chunk_id: str
    score: float
    snippet: str


class QuoteSummary(Message):
    """The quote card a reply carries (prices from billing's catalogue, never from a model)."""

    quote_id: str
    total: str
    currency: str
    checkout_url: str | None = None
    pdf_url: str | None = None
    # the honest reason no PDF is linked (e.g. the seller's legal facts are missing)
    pdf_unavailable_reason: str | None = None
    net: str | None = None
    vat: str | None = None
    invoice_url: str | None = None
    lines: list[dict[str, Any]] = []


@message_type("chat.turn")
class ChatTurn(Message):
    """One visitor message; the reply is a `ChatTurnReply`. See docs/chat.md for `stream_to`."""

    session_id: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    locale: str = Field("fr", max_length=20)
    ip: str | None = Field(None, max_length=100)
    user_agent: str | None = Field(None, max_length=500)
    stream_to: str | None = Field(None, max_length=255)
    request_id: str = Field(min_length=1, max_length=100)
    # A stable id of the browser/visitor across sessions: its long-term context is reused.
    visitor_id: str | None = Field(None, max_length=200)
    # True when the caller already ran security.screen on this message (the gateway does).
    screened: bool = False
    # True when the caller could not screen because the security service did not answer (the gateway
    # failing open): chat screens in process with libs.guard at once instead of asking security again.
    security_unavailable: bool = False


@message_type("chat.turn.reply")
class ChatTurnReply(Message):
    session_id: str
    request_id: str
    reply: str
    citations: list[Citation] = []
    handoff: bool = False
    mode: Mode = "grounded"
    # Why the turn was not answered by the LLM (kill_switch, not_configured, llm_error, blocked…).
    fallback_reason: str | None = None
    blocked: bool = False
    lead_id: str | None = None
    quote: QuoteSummary | None = None
    message_count: int = 0


@message_type("chat.reply.delta")
class ChatReplyDelta(Message):
    """A piece of a reply being generated, published to the turn's `stream_to` queue."""

    request_id: str
    session_id: str
    seq: int = Field(ge=0)
    delta: str = ""
    done: bool = False
    citations: list[Citation] = []
    # On the final delta: the text to show if it differs from the concatenated deltas (output guard).
    replace: str | None = None


@message_type("chat.get_history")
class GetChatHistory(Message):
    session_id: str = Field(min_length=1, max_length=200)
    limit: int = Field(100, ge=1, le=1000)


class HistoryMessage(Message):
    role: Literal["user", "assistant"]
    content: str
    at: str
    citations: list[Citation] = []
    # set on an adviser's message (console takeover): the adviser's display name
    author: str | None = None


@message_type("chat.history")
class ChatHistory(Message):
    session_id: str
    exists: bool
    messages: list[HistoryMessage] = []
    message_count: int = 0
    summary: str | None = None
    # bot | waiting_human | human, and who holds it (docs/console.md)
    state: str = "bot"
    adviser: str | None = None


@message_type("chat.reset_session")
class ResetChatSession(Message):
    """The spec's reset_chat_session: empty the conversation and forget its entities."""

    session_id: str = Field(min_length=1, max_length=200)


@message_type("chat.session.reset.reply")
class ChatSessionResetReply(Message):
    session_id: str
    reset: bool


@message_type("chat.session.reset")
class ChatSessionReset(Message):
    session_id: str


@message_type("lead.captured")
class LeadCaptured(Message):
    lead_id: str
    session_id: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    score: int
    created: bool
    intents: list[str] = []


@message_type("chat.handoff.requested")
class ChatHandoffRequested(Message):
    session_id: str
    reason: Literal["visitor_asked", "assistant_stuck"]
    message: str
    summary: str | None = None
    lead_id: str | None = None
    contact: dict[str, Any] = {}
    locale: str = "fr"


# ---- the owner console: conversations and live takeover (docs/console.md) ----------------------
ConversationState = Literal["bot", "waiting_human", "human"]


@message_type("chat.list_conversations")
class ListConversations(Message):
    """Read-only: conversations, newest activity first, optionally only those in `state` or matching
    `query` (an e-mail the visitor gave, or text of the conversation)."""

    state: ConversationState | None = None
    query: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class ConversationSummary(Message):
    session_id: str
    state: ConversationState = "bot"
    adviser: str | None = None
    last_message: str = ""
    last_role: str | None = None
    email: str | None = None
    lead_id: str | None = None
    message_count: int = 0
    updated_at: str | None = None
    handoff_reason: str | None = None


@message_type("chat.conversations")
class ConversationList(Message):
    items: list[ConversationSummary] = []
    total: int = 0


@message_type("chat.get_conversation")
class GetConversation(Message):
    """Read-only: one conversation's transcript (with citations and authors), entities and lead."""

    session_id: str = Field(min_length=1, max_length=200)


class ConversationMessage(Message):
    role: Literal["user", "assistant", "human"]
    content: str
    at: str = ""
    author: str | None = None
    mode: str | None = None
    citations: list[Citation] = []


class ConversationEntity(Message):
    type: str
    value: str
    confidence: float = 0.0


@message_type("chat.conversation")
class Conversation(Message):
    session_id: str
    exists: bool
    state: ConversationState = "bot"
    adviser: str | None = None
    adviser_id: str | None = None
    messages: list[ConversationMessage] = []
    entities: list[ConversationEntity] = []
    lead_id: str | None = None
    lead_score: int | None = None
    email: str | None = None
    summary: str | None = None
    handoff_reason: str | None = None
    updated_at: str | None = None


@message_type("chat.takeover")
class TakeOverConversation(Message):
    """A human (console user) holds the conversation from now on: the assistant stops answering.
    Idempotent: taking over a conversation one already holds changes nothing."""

    session_id: str = Field(min_length=1, max_length=200)
    adviser_id: str = Field(min_length=1, max_length=100)
    adviser_name: str = Field(min_length=1, max_length=100)


@message_type("chat.handback")
class HandBackConversation(Message):
    """Give the conversation back to the assistant. Idempotent."""

    session_id: str = Field(min_length=1, max_length=200)
    adviser_id: str = Field(min_length=1, max_length=100)


@message_type("chat.post_human_message")
class PostHumanMessage(Message):
    """An adviser's message to the visitor; stored in the history with the adviser's name.
    Idempotent by `message_id` (a retried post is stored once)."""

    session_id: str = Field(min_length=1, max_length=200)
    adviser_id: str = Field(min_length=1, max_length=100)
    adviser_name: str = Field(min_length=1, max_length=100)
    content: str = Field(min_length=1, max_length=4000)
    message_id: str = Field(min_length=1, max_length=100)


@message_type("chat.conversation.changed")
class ConversationChanged(Message):
    """Reply of takeover / handback / post_human_message: the conversation's state afterwards."""

    session_id: str
    exists: bool
    state: ConversationState = "bot"
    adviser: str | None = None
    message_count: int = 0


@message_type("chat.conversation.updated")
class ConversationUpdated(Message):
    """A conversation's state changed (bot, waiting_human, human) — for consoles and widgets."""

    session_id: str
    state: ConversationState
    adviser: str | None = None
    reason: str | None = None


@message_type("chat.human_message.posted")
class HumanMessagePosted(Message):
    """An adviser answered a visitor (every gateway replica forwards it to the visitor's widget)."""

    session_id: str
    message_id: str
    author: str
    content: str
    at: str


@message_type("chat.visitor_message.received")
class VisitorMessageReceived(Message):
    """A visitor wrote while a human holds (or is awaited on) the conversation: no LLM answered it."""

    session_id: str
    content: str
    at: str
    state: ConversationState


# ---- leads changed on request (the agents' `update_lead` tool; chat owns app_leads) --------------
@message_type("chat.update_lead")
class UpdateLead(Message):
    """Writes: set a lead's score and/or append a note (kept in `metadata.notes` with who wrote it);
    unknown lead → error `not_found`. Exactly once by request id."""

    lead_id: str = Field(min_length=1, max_length=100)
    score: int | None = Field(None, ge=0, le=100)
    note: str | None = Field(None, min_length=1, max_length=2000)
    author: str = Field("agent", min_length=1, max_length=200)


class LeadView(Message):
    id: str
    email: str | None = None
    name: str | None = None
    score: int = 0
    notes: list[dict[str, Any]] = []
    updated_at: str | None = None


@message_type("chat.lead")
class LeadReply(Message):
    lead: LeadView
