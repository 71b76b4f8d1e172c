"""HTTP bodies of the chat API (what the widget and API clients see)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="the visitor's message (plain text)")
    session_id: str | None = Field(None, max_length=100, description="omit to start a new session")
    locale: str | None = Field(None, max_length=16, description="fr or en; default from Accept-Language")
    visitor: str | None = Field(None, max_length=200,
                                description="the `visitor` of an earlier answer: the assistant remembers "
                                            "a returning visitor across sessions")


class Citation(BaseModel):
    model_config = ConfigDict(extra="allow")

    source: str
    title: str | None = None
    doc_id: str | None = None
    chunk_id: str | None = None
    score: float | None = None
    snippet: str | None = None


class ChatMessageOut(BaseModel):
    session_id: str
    session_token: str = Field(description="send it back as `X-Session-Token` or `Authorization: Bearer`")
    visitor: str = Field(description="keep it (e.g. in localStorage) and send it with later messages")
    reply: str
    citations: list[Citation] = []
    mode: str = Field("llm", description="llm, grounded (retrieval-only), or refused")
    fallback_reason: str | None = Field(None, description="why the LLM did not answer, when it did not")
    blocked: bool = False
    handoff: bool = Field(False, description="a human was asked to take over")
    lead_id: str | None = None
    quote: dict[str, Any] | None = None
    message_count: int = 0
    request_id: str


class HistoryMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str
    citations: list[dict[str, Any]] = []


class SessionHistory(BaseModel):
    session_id: str
    messages: list[HistoryMessage]
    summary: str | None = None
    message_count: int = 0
    # bot | waiting_human | human, and the adviser holding it (an adviser's messages carry `author`)
    state: str = "bot"
    adviser: str | None = None


class ResetOut(BaseModel):
    session_id: str
    reset: bool
