"""What a turn leaves behind, written in one transaction: the exchange (and the rolling summary),
entities, the lead, the long-term context, and the events (outbox) — committed together."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from libs.common.db import Conn
from libs.common.events.chat import ChatHandoffRequested, ChatTurn, Citation, LeadCaptured
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from services.chat import leads, memory, remote, repo
from services.chat.answer import Answer, Message
from services.chat.deps import ChatDeps
from services.chat.entities import Entity

log = get_logger(__name__)
CONTACT_TYPES = ("email", "phone", "name")


@dataclass(frozen=True, kw_only=True)
class TurnRecord:
    """What a turn leaves behind: the message as read, the answer given, and two facts about it."""

    msg: Message
    answer: Answer
    citations: list[Citation]
    off_topic: bool = False
    expired: bool = False

    @property
    def req(self) -> ChatTurn:
        return self.msg.req

    @property
    def lang(self) -> str:
        return self.msg.lang

    @property
    def entities(self) -> list[Entity]:
        return self.msg.entities

    @property
    def intents(self) -> list[str]:
        return self.msg.intents

    @property
    def reply(self) -> str:
        return self.answer.reply

    @property
    def mode(self) -> str:
        return self.answer.mode

    @property
    def handoff_reason(self) -> str | None:
        return self.answer.handoff_reason

    @property
    def unknown(self) -> bool:
        return self.answer.unknown

    @property
    def blocked(self) -> bool:
        return self.answer.blocked


@dataclass(frozen=True)
class Outcome:
    message_count: int
    lead_id: str | None


def context_key(req: ChatTurn) -> str:
    return f"visitor:{req.visitor_id}" if req.visitor_id else req.session_id


async def persist(
    ctx: HandlerContext,
    deps: ChatDeps,
    record: TurnRecord,
    loaded: repo.SessionRow,
    context_before: dict[str, Any] | None,
) -> Outcome:
    """`loaded` is the session as read at the start of the turn; if another turn wrote it meanwhile,
    the row is locked and re-read, so concurrent turns of one session both land, in some order.

    An ordinary turn (no lead, no handoff, no reset) is written in one statement; the others lock
    and re-read, because they read what they write (lead) or emit events (outbox). Both go through
    `ctx.transaction()`: chat.turn is claimed by request id, so either commits with the turn's stored
    reply when the handler returns (libs/common/service.py)."""
    if not _needs_transaction(record, loaded):
        written = await _write_ordinary_turn(ctx, deps, record, loaded, context_before)
        if written is not None:
            return written
    sid = record.req.session_id
    async with ctx.transaction() as conn:
        # the session row is locked first, then entities: the same order as the one-statement path
        if record.expired:
            await repo.reset_session(conn, sid)
        session = await repo.lock_session(conn, sid)
        lead_id = None
        if not record.blocked:
            rows = [(e.type, e.value, e.confidence, record.req.message[:1000]) for e in record.entities]
            await repo.upsert_entities(conn, sid, rows)
            lead_id = await _lead(ctx, conn, session, record)
        rolled = _apply(session, record, lead_id, deps)
        await repo.save_session(conn, session)
        if not record.blocked:
            await repo.save_context(conn, context_key(record.req), _context(session, record, context_before))
        if record.handoff_reason is not None:
            await _handoff(ctx, conn, session, record, lead_id)
    if rolled and session.summary and not record.blocked:
        deps.embed_context(context_key(record.req), memory.embedding_text(session.summary))
    return Outcome(session.message_count, lead_id)


def _needs_transaction(record: TurnRecord, loaded: repo.SessionRow) -> bool:
    if record.expired or record.handoff_reason is not None:
        return True
    contact = any(e.type in CONTACT_TYPES for e in record.entities)
    return not record.blocked and (contact or bool(loaded.metadata.get("lead_id")))


async def _write_ordinary_turn(
    ctx: HandlerContext,
    deps: ChatDeps,
    record: TurnRecord,
    loaded: repo.SessionRow,
    context_before: dict[str, Any] | None,
) -> Outcome | None:
    session = replace(loaded, messages=list(loaded.messages), metadata=dict(loaded.metadata))
    rolled = _apply(session, record, None, deps)
    entities = [] if record.blocked else [(e.type, e.value, e.confidence) for e in record.entities]
    context = None if record.blocked else _context(session, record, context_before)
    # ctx.transaction(): chat.turn is claimed by request id, so the turn commits with its stored reply
    async with ctx.transaction() as conn:
        written = await repo.write_turn(
            conn,
            session,
            session.messages[len(loaded.messages):],
            loaded.message_count if loaded.exists else None,
            entities,
            record.req.message[:1000],
            context_key(record.req),
            context,
        )
    if not written:
        return None  # another turn of this session came first: the transactional path re-reads
    if rolled and session.summary and not record.blocked:
        deps.embed_context(context_key(record.req), memory.embedding_text(session.summary))
    return Outcome(session.message_count, None)


def _apply(session: repo.SessionRow, record: TurnRecord, lead_id: str | None, deps: ChatDeps) -> bool:
    settings = deps.settings
    rolled = memory.append_turn(
        session,
        *_messages(record),
        summary_after=settings.summary_after_messages,
        keep_recent=settings.keep_recent_messages,
        summary_max_chars=settings.summary_max_chars,
    )
    _update_metadata(session.metadata, record)
    if lead_id is not None:
        session.metadata["lead_id"] = lead_id
    return rolled


def _messages(record: TurnRecord) -> tuple[dict[str, Any], dict[str, Any]]:
    at = memory.now_iso()
    user: dict[str, Any] = {"role": "user", "content": record.req.message, "at": at, "lang": record.lang}
    if record.blocked:
        user["blocked"] = True
    assistant = {
        "role": "assistant",
        "content": record.reply,
        "at": at,
        "mode": record.mode,
        "citations": [c.model_dump(mode="json") for c in record.citations],
    }
    return user, assistant


def _update_metadata(meta: dict[str, Any], record: TurnRecord) -> None:
    meta["unknown_streak"] = int(meta.get("unknown_streak", 0)) + 1 if record.unknown else 0
    meta["off_topic_streak"] = int(meta.get("off_topic_streak", 0)) + 1 if record.off_topic else 0
    meta["lang"] = record.lang
    for key, value in (record.answer.metadata_update or {}).items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    if record.req.visitor_id:
        meta["visitor_id"] = record.req.visitor_id
    if record.handoff_reason:
        meta["handoff"] = {"reason": record.handoff_reason, "at": memory.now_iso()}
        if meta.get("conversation_state") != "human":
            meta["conversation_state"] = "waiting_human"  # the console shows it (services/chat/conversations.py)


async def _lead(ctx: HandlerContext, conn: Conn, session: repo.SessionRow, record: TurnRecord) -> str | None:
    new_contact = any(e.type in CONTACT_TYPES for e in record.entities)
    known_lead = session.metadata.get("lead_id")
    if not new_contact and not known_lead:
        return None
    known = await repo.entities(conn, session.session_id)
    contact = leads.Contact(**{kind: _best(known, kind) for kind in CONTACT_TYPES})
    intents = {value for kind, value, _ in known if kind == "intent"}
    complaint = any(kind == "complaint" for kind, _, _ in known)
    score = leads.score(intents, contact, memory.turns(session) + 1, complaint)
    result = await leads.record(conn, session.session_id, contact, score, known_lead, sorted(intents), new_contact)
    if result is None:
        return None
    if result.changed:
        await ctx.emit(
            LeadCaptured(
                lead_id=result.lead_id,
                session_id=session.session_id,
                email=contact.email,
                name=contact.name,
                phone=contact.phone,
                score=result.score,
                created=result.created,
                intents=sorted(intents),
            ),
            conn=conn,
            aggregate_id=result.lead_id,
            session_id=session.session_id,
        )
    return result.lead_id


def _best(known: list[tuple[str, str, float]], kind: str) -> str | None:
    # entities come newest first; the most recent value with the highest confidence wins
    candidates = [(conf, -i, value) for i, (k, value, conf) in enumerate(known) if k == kind]
    return max(candidates)[2] if candidates else None


def _context(session: repo.SessionRow, record: TurnRecord, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The long-term context row after this turn."""
    by_type: dict[str, list[str]] = {}
    for e in record.entities:
        if e.type not in ("intent", "sentiment"):
            by_type.setdefault(e.type, []).append(e.value)
    sentiment = next((e.value for e in record.entities if e.type == "sentiment"), None)
    topics = [*record.intents, *(c.title or c.source for c in record.citations)]
    return memory.context_update(
        previous,
        summary=memory.exchange_summary(session, 1500),
        entities=by_type,
        intents=record.intents,
        topics=topics,
        sentiment=sentiment,
    )


async def _handoff(ctx: HandlerContext, conn: Conn, session: repo.SessionRow, record: TurnRecord,
                   lead_id: str | None) -> None:
    contact = {e.type: e.value for e in record.entities if e.type in CONTACT_TYPES}
    await ctx.emit(
        ChatHandoffRequested(
            session_id=session.session_id,
            reason=record.handoff_reason,
            message=record.req.message[:2000],
            summary=memory.exchange_summary(session, 1500),
            lead_id=lead_id,
            contact=contact,
            locale=record.lang,
        ),
        conn=conn,
        aggregate_id=session.session_id,
        session_id=session.session_id,
    )


async def store_context_embedding(ctx: HandlerContext, deps: ChatDeps, key: str, summary: str) -> None:
    """Embed a long-term context's summary (rag.embed) and store it (see context_embedding.py)."""
    vector = await remote.embed(ctx, deps, summary)
    if vector is None:
        return
    async with ctx.pool.acquire() as conn:
        await repo.set_context_embedding(conn, key, vector)
