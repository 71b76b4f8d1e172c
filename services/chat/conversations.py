"""Conversations for the owner console: list, transcript, takeover, handback, an adviser's messages.

Chat owns the conversation's state, kept in the session's metadata (`conversation_state`):
`bot` (the assistant answers), `waiting_human` (a handoff was asked for; the assistant still answers
and says a human will come) and `human` (an adviser holds it: visitor messages are stored and shown
in the console, no LLM call). `metadata.adviser` is `{id, name, at}` while a human holds it.
Every state change and every adviser message is an event (outbox, same transaction), which each
gateway replica forwards to the consoles and to the visitor's widget.
"""

from __future__ import annotations

import re
from typing import Any

from libs.common.db import Conn
from libs.common.events.chat import (
    ChatTurn,
    ChatTurnReply,
    Citation,
    Conversation,
    ConversationChanged,
    ConversationEntity,
    ConversationList,
    ConversationMessage,
    ConversationState,
    ConversationSummary,
    ConversationUpdated,
    GetConversation,
    HandBackConversation,
    HumanMessagePosted,
    ListConversations,
    PostHumanMessage,
    TakeOverConversation,
    VisitorMessageReceived,
)
from libs.common.service import HandlerContext
from services.chat import repo
from services.chat.memory import now_iso

STATE_KEY = "conversation_state"
STATES: tuple[ConversationState, ...] = ("bot", "waiting_human", "human")

# Newest activity first. An e-mail query reads the e-mails chat noted (app_entity_memory) and the
# leads; a text query reads the message index (below).
_COLUMNS = """
SELECT s.session_id, s.message_count, s.updated_at, s.metadata, s.messages -> -1 AS last,
  (SELECT e.entity_value FROM app_entity_memory e
   WHERE e.session_id = s.session_id AND e.entity_type = 'email' ORDER BY e.updated_at DESC LIMIT 1) AS email
"""
_STATE = "($1::TEXT IS NULL OR COALESCE(s.metadata->>'conversation_state', 'bot') = $1)"
LIST = _COLUMNS + f"""
FROM app_chat_sessions s
WHERE {_STATE} AND COALESCE(s.message_count, 0) > 0
ORDER BY s.updated_at DESC LIMIT $2 OFFSET $3
"""
COUNT = f"SELECT count(*) FROM app_chat_sessions s WHERE {_STATE} AND COALESCE(s.message_count, 0) > 0"
LIST_BY_EMAIL = _COLUMNS + f"""
FROM app_chat_sessions s
WHERE {_STATE} AND s.session_id IN (
  SELECT e.session_id FROM app_entity_memory e WHERE e.entity_type = 'email' AND e.entity_value ILIKE $2
  UNION SELECT l.session_id FROM app_leads l WHERE l.email ILIKE $2 AND l.session_id IS NOT NULL)
ORDER BY s.updated_at DESC LIMIT $3 OFFSET $4
"""
COUNT_BY_EMAIL = f"""
SELECT count(*) FROM app_chat_sessions s
WHERE {_STATE} AND s.session_id IN (
  SELECT e.session_id FROM app_entity_memory e WHERE e.entity_type = 'email' AND e.entity_value ILIKE $2
  UNION SELECT l.session_id FROM app_leads l WHERE l.email ILIKE $2 AND l.session_id IS NOT NULL)
"""
# A text query looks its words up in the message index (migration 067: one row of terms per
# message, written by a trigger as messages are appended)
_TEXT_HITS = r"""
WITH words AS (SELECT lexeme FROM unnest(to_tsvector('simple', $2)) LIMIT 8),
q AS (SELECT to_tsquery('simple', string_agg('''' || translate(lexeme, '''\', '') || ''':*', ' & ')) AS tsq
      FROM words),
hits AS (SELECT DISTINCT t.session_id FROM app_chat_message_terms t, q WHERE t.terms @@ q.tsq)
"""
# the matches are found once: the page and the count read the same set
LIST_BY_TEXT = _TEXT_HITS + f""",
matched AS MATERIALIZED (
  SELECT s.session_id, s.updated_at FROM app_chat_sessions s JOIN hits h ON h.session_id = s.session_id
  WHERE {_STATE} AND COALESCE(s.message_count, 0) > 0),
page AS (SELECT session_id FROM matched ORDER BY updated_at DESC LIMIT $3 OFFSET $4)
""" + _COLUMNS + """, (SELECT count(*) FROM matched) AS total
FROM app_chat_sessions s JOIN page p ON p.session_id = s.session_id
ORDER BY s.updated_at DESC
"""
SET_METADATA = """
UPDATE app_chat_sessions SET metadata = $2, updated_at = NOW() WHERE session_id = $1
"""
APPEND_MESSAGE = """
UPDATE app_chat_sessions
SET messages = COALESCE(messages, '[]'::JSONB) || jsonb_build_array($2::JSONB),
    message_count = COALESCE(message_count, 0) + 1, metadata = $3, updated_at = NOW()
WHERE session_id = $1
RETURNING message_count
"""
HAS_MESSAGE_ID = """
SELECT 1 FROM app_chat_sessions
WHERE session_id = $1 AND messages @> jsonb_build_array(jsonb_build_object('id', $2::TEXT))
"""
SELECT_LEAD = "SELECT id::TEXT AS id, email, score FROM app_leads WHERE id = $1::UUID"
SELECT_LEAD_BY_SESSION = "SELECT id::TEXT AS id, email, score FROM app_leads WHERE session_id = $1 LIMIT 1"


def state_of(metadata: dict[str, Any]) -> ConversationState:
    value = metadata.get(STATE_KEY)
    return value if value in STATES else "bot"


def adviser_name(metadata: dict[str, Any]) -> str | None:
    adviser = metadata.get("adviser")
    return str(adviser.get("name")) if isinstance(adviser, dict) and adviser.get("name") else None


def _like(query: str | None) -> str | None:
    if not query or not query.strip():
        return None
    escaped = query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _words_query(query: str) -> str | None:
    """The text of a console search, None when it has no word to look up. The database splits it
    as it splits the messages (an e-mail or a reference stays one word) and looks each of its first
    eight words up as a prefix; all of them must be in one message."""
    return query.strip() if re.search(r"\w", query) else None


def _at(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def list_conversations(req: ListConversations, ctx: HandlerContext) -> ConversationList:
    like = _like(req.query)
    async with ctx.pool.acquire() as conn:
        if like is None:
            rows = await conn.fetch(LIST, req.state, req.limit, req.offset)
            total = await conn.fetchval(COUNT, req.state)
        elif "@" in (req.query or ""):
            rows = await conn.fetch(LIST_BY_EMAIL, req.state, like, req.limit, req.offset)
            total = await conn.fetchval(COUNT_BY_EMAIL, req.state, like)
        else:
            words = _words_query(req.query or "")
            if words is None:
                return ConversationList(items=[], total=0)
            rows = await conn.fetch(LIST_BY_TEXT, req.state, words, req.limit, req.offset)
            total = rows[0]["total"] if rows else 0
    items = []
    for r in rows:
        meta = dict(r["metadata"] or {})
        last = r["last"] if isinstance(r["last"], dict) else {}
        handoff = meta.get("handoff")
        items.append(ConversationSummary(
            session_id=r["session_id"], state=state_of(meta), adviser=adviser_name(meta),
            last_message=str(last.get("content", ""))[:200], last_role=_role(last),
            email=r["email"], lead_id=meta.get("lead_id"), message_count=r["message_count"] or 0,
            updated_at=_at(r["updated_at"]),
            handoff_reason=handoff.get("reason") if isinstance(handoff, dict) else None))
    return ConversationList(items=items, total=int(total if total is not None else 0))


def _role(message: dict[str, Any]) -> str | None:
    if message.get("mode") == "human":
        return "human"
    role = message.get("role")
    return str(role) if role else None


def _message(raw: dict[str, Any]) -> ConversationMessage | None:
    role = _role(raw)
    if role not in ("user", "assistant", "human"):
        return None
    citations = [Citation.model_validate(c) for c in raw.get("citations") or []]
    return ConversationMessage(role=role, content=str(raw.get("content", "")), at=str(raw.get("at", "")),
                               author=raw.get("author"), mode=raw.get("mode"), citations=citations)


async def get_conversation(req: GetConversation, ctx: HandlerContext) -> Conversation:
    async with ctx.pool.acquire() as conn:
        session = await repo.load_session(conn, req.session_id)
        if not session.exists:
            return Conversation(session_id=req.session_id, exists=False)
        known = await repo.entities(conn, req.session_id)
        lead_id = session.metadata.get("lead_id")
        lead = (await conn.fetchrow(SELECT_LEAD, lead_id) if lead_id
                else await conn.fetchrow(SELECT_LEAD_BY_SESSION, req.session_id))
    meta = session.metadata
    adviser = meta.get("adviser") if isinstance(meta.get("adviser"), dict) else {}
    handoff = meta.get("handoff")
    email = next((v for kind, v, _ in known if kind == "email"), None) or (lead["email"] if lead else None)
    return Conversation(
        session_id=req.session_id, exists=True, state=state_of(meta), adviser=adviser_name(meta),
        adviser_id=adviser.get("id") if adviser else None,
        messages=[m for m in map(_message, session.messages) if m is not None],
        entities=[ConversationEntity(type=k, value=v, confidence=c) for k, v, c in known],
        lead_id=lead["id"] if lead else None, lead_score=lead["score"] if lead else None, email=email,
        summary=session.summary, handoff_reason=handoff.get("reason") if isinstance(handoff, dict) else None,
        updated_at=_at(session.updated_at))


async def _set_state(ctx: HandlerContext, conn: Conn, session: repo.SessionRow, state: ConversationState,
                     adviser: dict[str, Any] | None, reason: str | None) -> None:
    meta = session.metadata
    meta[STATE_KEY] = state
    if adviser is None:
        meta.pop("adviser", None)
    else:
        meta["adviser"] = adviser
    await conn.execute(SET_METADATA, session.session_id, meta)
    await ctx.emit(ConversationUpdated(session_id=session.session_id, state=state, adviser=adviser_name(meta),
                                       reason=reason),
                   aggregate_id=session.session_id, session_id=session.session_id)


def _changed(session: repo.SessionRow, exists: bool = True) -> ConversationChanged:
    meta = session.metadata
    return ConversationChanged(session_id=session.session_id, exists=exists, state=state_of(meta),
                               adviser=adviser_name(meta), message_count=session.message_count)


async def takeover(req: TakeOverConversation, ctx: HandlerContext) -> ConversationChanged:
    async with ctx.transaction() as conn:
        session = await repo.load_session(conn, req.session_id, lock=True)
        if not session.exists:
            return ConversationChanged(session_id=req.session_id, exists=False)
        held = session.metadata.get("adviser") or {}
        if state_of(session.metadata) != "human" or held.get("id") != req.adviser_id:
            adviser = {"id": req.adviser_id, "name": req.adviser_name, "at": now_iso()}
            await _set_state(ctx, conn, session, "human", adviser, "takeover")
    return _changed(session)


async def handback(req: HandBackConversation, ctx: HandlerContext) -> ConversationChanged:
    async with ctx.transaction() as conn:
        session = await repo.load_session(conn, req.session_id, lock=True)
        if not session.exists:
            return ConversationChanged(session_id=req.session_id, exists=False)
        if state_of(session.metadata) != "bot":
            # a fresh start for the assistant: the streaks that led to the handoff are over
            session.metadata["unknown_streak"] = 0
            session.metadata.pop("handoff", None)
            await _set_state(ctx, conn, session, "bot", None, "handback")
    return _changed(session)


async def post_human_message(req: PostHumanMessage, ctx: HandlerContext) -> ConversationChanged:
    """Stored once per message_id; posting to a conversation one does not hold takes it over."""
    async with ctx.transaction() as conn:
        session = await repo.load_session(conn, req.session_id, lock=True)
        if not session.exists:
            return ConversationChanged(session_id=req.session_id, exists=False)
        if await conn.fetchval(HAS_MESSAGE_ID, req.session_id, req.message_id) is not None:
            return _changed(session)
        held = session.metadata.get("adviser") or {}
        if state_of(session.metadata) != "human" or held.get("id") != req.adviser_id:
            adviser = {"id": req.adviser_id, "name": req.adviser_name, "at": now_iso()}
            await _set_state(ctx, conn, session, "human", adviser, "takeover")
        at = now_iso()
        message = {"role": "assistant", "mode": "human", "content": req.content, "at": at,
                   "author": req.adviser_name, "adviser_id": req.adviser_id, "id": req.message_id}
        session.message_count = int(await conn.fetchval(APPEND_MESSAGE, req.session_id, message,
                                                        session.metadata) or 0)
        await ctx.emit(HumanMessagePosted(session_id=req.session_id, message_id=req.message_id,
                                          author=req.adviser_name, content=req.content, at=at),
                       aggregate_id=req.session_id, session_id=req.session_id)
    return _changed(session)


def human_holds(metadata: dict[str, Any]) -> bool:
    return state_of(metadata) == "human"


async def store_for_human(req: ChatTurn, ctx: HandlerContext, lang: str) -> ChatTurnReply:
    """A visitor message while a human holds the conversation: stored and announced, not answered."""
    at = now_iso()
    async with ctx.transaction() as conn:
        session = await repo.lock_session(conn, req.session_id)
        meta = session.metadata
        message = {"role": "user", "content": req.message, "at": at, "lang": lang}
        count = int(await conn.fetchval(APPEND_MESSAGE, req.session_id, message, meta) or 0)
        await ctx.emit(VisitorMessageReceived(session_id=req.session_id, content=req.message[:4000], at=at,
                                              state=state_of(meta)),
                       aggregate_id=req.session_id, session_id=req.session_id)
    return ChatTurnReply(session_id=req.session_id, request_id=req.request_id, reply="", mode="human",
                         fallback_reason="human", message_count=count)
