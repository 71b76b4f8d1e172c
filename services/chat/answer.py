"""What a turn works with: the visitor's message as read (`Message`), the session state as loaded
(`TurnState`), and the answer it composes (`Answer`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from libs.common.events.chat import ChatTurn, Citation, QuoteSummary
from libs.common.flags import RuntimeFlags
from services.chat import repo
from services.chat.entities import Entity
from services.chat.fallback import Chunk


@dataclass(frozen=True)
class Message:
    """The request with what the turn read from it."""

    req: ChatTurn
    lang: str
    flags: RuntimeFlags
    entities: list[Entity]

    @property
    def intents(self) -> list[str]:
        return [e.value for e in self.entities if e.type == "intent"]

    def contacts(self) -> list[str]:
        return [e.value for e in self.entities if e.type in ("email", "phone")]


@dataclass
class Answer:
    reply: str
    mode: str = "grounded"
    fallback_reason: str | None = None
    chunks: list[Chunk] = field(default_factory=list)
    handoff_reason: str | None = None
    quote: QuoteSummary | None = None
    unknown: bool = False
    blocked: bool = False
    # session metadata this answer sets (None removes a key), e.g. a quote question still open
    metadata_update: dict[str, Any] | None = None
    # the reply was changed after it was generated (prices set to the catalogue's, services/chat/prices.py)
    rewritten: bool = False

    @property
    def replaces_stream(self) -> bool:
        """What was streamed while it was generated is not this reply (the final delta says so)."""
        return self.blocked or self.mode != "llm" or self.quote is not None or self.rewritten


@dataclass
class TurnState:
    session: repo.SessionRow
    known: list[tuple[str, str, float]]
    context: dict[str, Any] | None  # the long-term context row of this visitor (or session)
    loaded: repo.SessionRow  # the session as read, for the optimistic write

    @property
    def long_term(self) -> dict[str, Any] | None:
        """Previous conversations, shown to the LLM when a known visitor starts a new session."""
        if self.context is None or not str(self.context.get("session_id", "")).startswith("visitor:"):
            return None
        return self.context if self.loaded.message_count == 0 else None

    def known_contacts(self) -> list[str]:
        return [v for kind, v, _ in self.known if kind in ("email", "phone")]


def citations(chunks: list[Chunk]) -> list[Citation]:
    return [
        Citation(
            source=c.source,
            title=c.title,
            doc_id=c.doc_id,
            chunk_id=c.id,
            score=c.score,
            snippet=c.content[:240],
        )
        for c in chunks
    ]
