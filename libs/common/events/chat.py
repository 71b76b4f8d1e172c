"""Message schemas owned by the chat service: the turn, its streamed deltas, sessions, leads, handoff.

The streaming protocol with the gateway is described in docs/chat.md.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from libs.common.messages import Message, message_type

MAX_MESSAGE_CHARS = 20_000
Mode = Literal["llm", "grounded"]


class Citation(Message):
    source: str
    title: str | None = None
    doc_id: str | None = None
    chunk_id: str
    score: float
    snippet: str


class QuoteSummary(Message):
    quote_id: str
    total: str
    currency: str
    checkout_url: str | None = None
    pdf_url: str | None = None


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


@message_type("chat.history")
class ChatHistory(Message):
    session_id: str
    exists: bool
    messages: list[HistoryMessage] = []
    message_count: int = 0
    summary: str | None = None


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
