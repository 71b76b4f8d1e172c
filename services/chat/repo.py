"""SQL of the chat service. Tables written here: app_chat_sessions, app_entity_memory, app_leads
(contact capture), app_conversation_contexts. Read: app_admin_config, app_prompt_store,
app_company_facts, app_runtime_state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from libs.common.db import Conn

SELECT_SESSION = """
SELECT session_id, messages, summary, message_count, metadata, updated_at
FROM app_chat_sessions WHERE session_id = $1
"""
LOCK_SESSION = SELECT_SESSION.strip() + " FOR UPDATE"
INSERT_SESSION = """
INSERT INTO app_chat_sessions (session_id) VALUES ($1) ON CONFLICT (session_id) DO NOTHING
"""
UPDATE_SESSION = """
UPDATE app_chat_sessions
SET messages = $2, summary = $3, message_count = $4, metadata = $5, updated_at = NOW()
WHERE session_id = $1
"""
# A whole ordinary turn in one statement (one round trip, atomic): the session written if unchanged
# since it was read, then — only if it was — its entities and the long-term context.
_TURN_TAIL = """
, e AS (
  INSERT INTO app_entity_memory (session_id, entity_type, entity_value, confidence, source_message, metadata)
  SELECT s.session_id, t.kind, t.value, t.conf, $10, '{"mentions": 1}'::JSONB
  FROM s, unnest($7::TEXT[], $8::TEXT[], $9::FLOAT8[]) AS t(kind, value, conf)
  ON CONFLICT (session_id, entity_type, entity_value) DO UPDATE SET
    confidence = GREATEST(app_entity_memory.confidence, EXCLUDED.confidence),
    metadata = app_entity_memory.metadata
      || jsonb_build_object('mentions', COALESCE((app_entity_memory.metadata->>'mentions')::INT, 1) + 1),
    updated_at = NOW()
), c AS (
  INSERT INTO app_conversation_contexts AS c
    (session_id, summary, key_facts, entities, topics, sentiment, intent_history)
  SELECT $11, $12, $13, $14, $15, $16, $17 FROM s WHERE $11::TEXT IS NOT NULL
  ON CONFLICT (session_id) DO UPDATE SET
    summary = EXCLUDED.summary, key_facts = EXCLUDED.key_facts, entities = EXCLUDED.entities,
    topics = EXCLUDED.topics, sentiment = EXCLUDED.sentiment, intent_history = EXCLUDED.intent_history,
    updated_at = NOW()
)
SELECT session_id FROM s
"""
# an ordinary turn appends its exchange ($2): the stored history is not sent back and forth
WRITE_TURN_UPDATE = (
    """
WITH s AS (
  UPDATE app_chat_sessions
  SET messages = COALESCE(messages, '[]'::JSONB) || $2::JSONB, summary = $3, message_count = $4,
      metadata = $5, updated_at = NOW()
  WHERE session_id = $1 AND COALESCE(message_count, 0) = $6::INT
  RETURNING session_id
)"""
    + _TURN_TAIL
)
WRITE_TURN_INSERT = (
    """
WITH s AS (
  INSERT INTO app_chat_sessions (session_id, messages, summary, message_count, metadata)
  SELECT $1, $2, $3, $4, $5 WHERE $6::INT IS NULL
  ON CONFLICT (session_id) DO NOTHING
  RETURNING session_id
)"""
    + _TURN_TAIL
)
RESET_SESSION = "SELECT reset_chat_session($1)"
# reset_chat_session (spec) keeps metadata; the conversation-state keys must go with the messages
CLEAR_CONVERSATION_STATE = """
UPDATE app_chat_sessions
SET metadata = COALESCE(metadata, '{}'::JSONB) - 'summarized_upto' - 'unknown_streak' - 'off_topic_streak'
  - 'handoff', updated_at = NOW()
WHERE session_id = $1
"""
# Everything a turn reads about its visitor, in one round trip. Of the history, only the messages
# the rolling summary does not cover yet (from metadata.summarized_upto: a bounded window) and the
# number of the visitor's messages before them; the widget's history is read by load_session.
SELECT_TURN_STATE = """
SELECT
  (SELECT to_jsonb(s) FROM (
     SELECT session_id, summary, message_count, metadata, updated_at, w.start AS window_start,
       jsonb_path_query_array(h.messages, '$[$start to last]', jsonb_build_object('start', w.start))
         AS messages,
       (SELECT count(*) FROM jsonb_array_elements(h.messages) WITH ORDINALITY AS e(m, i)
        WHERE i <= w.start AND m->>'role' = 'user') AS earlier_visitor_messages
     FROM app_chat_sessions,
       LATERAL (SELECT COALESCE(messages, '[]'::JSONB) AS messages) h,
       LATERAL (SELECT COALESCE((metadata->>'summarized_upto')::INT, 0) AS covered) c,
       -- a mark past the end is stale (the session was emptied by a reset): nothing is summarised
       LATERAL (SELECT CASE WHEN c.covered BETWEEN 0 AND jsonb_array_length(h.messages)
                            THEN c.covered ELSE 0 END AS start) w
     WHERE session_id = $1) s) AS session,
  (SELECT COALESCE(jsonb_agg(jsonb_build_array(e.entity_type, e.entity_value, e.confidence)), '[]'::JSONB)
   FROM (SELECT entity_type, entity_value, confidence FROM app_entity_memory
         WHERE session_id = $1 ORDER BY updated_at DESC LIMIT 50) e) AS entities,
  (SELECT to_jsonb(c) FROM (
     SELECT session_id, summary, key_facts, entities, topics, sentiment, intent_history
     FROM app_conversation_contexts WHERE session_id = $2) c) AS context
"""
SESSION_EXISTS = "SELECT 1 FROM app_chat_sessions WHERE session_id = $1"
SELECT_CHAT_CONFIG = "SELECT value FROM app_admin_config WHERE key = 'chat_config'"
SELECT_PROMPT = """
SELECT content FROM app_prompt_store WHERE name = $1 AND active
ORDER BY version DESC, updated_at DESC LIMIT 1
"""
SELECT_FACTS = """
SELECT key, value, category FROM app_company_facts WHERE active ORDER BY category, key
"""
UPSERT_ENTITY = """
INSERT INTO app_entity_memory (session_id, entity_type, entity_value, confidence, source_message, metadata)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (session_id, entity_type, entity_value) DO UPDATE SET
  confidence = GREATEST(app_entity_memory.confidence, EXCLUDED.confidence),
  metadata = app_entity_memory.metadata
    || jsonb_build_object('mentions', COALESCE((app_entity_memory.metadata->>'mentions')::INT, 1) + 1),
  updated_at = NOW()
"""
SELECT_ENTITIES = """
SELECT entity_type, entity_value, confidence FROM app_entity_memory
WHERE session_id = $1 ORDER BY updated_at DESC LIMIT 50
"""
UPSERT_LEAD_BY_EMAIL = """
INSERT INTO app_leads AS l (session_id, email, name, phone, source, score, metadata)
VALUES ($1, $2, $3, $4, 'chatbot', $5, $6)
ON CONFLICT (lower(email)) WHERE email IS NOT NULL DO UPDATE SET
  name = COALESCE(EXCLUDED.name, l.name),
  phone = COALESCE(EXCLUDED.phone, l.phone),
  score = GREATEST(COALESCE(l.score, 0), EXCLUDED.score),
  session_id = COALESCE(l.session_id, EXCLUDED.session_id),
  metadata = COALESCE(l.metadata, '{}'::JSONB) || EXCLUDED.metadata,
  updated_at = NOW()
RETURNING id::TEXT, (xmax = 0) AS created
"""
INSERT_LEAD = """
INSERT INTO app_leads (session_id, email, name, phone, source, score, metadata)
VALUES ($1, NULL, $2, $3, 'chatbot', $4, $5)
RETURNING id::TEXT
"""
UPDATE_LEAD = """
UPDATE app_leads SET
  name = COALESCE($2, name), phone = COALESCE($3, phone),
  score = GREATEST(COALESCE(score, 0), $4),
  metadata = COALESCE(metadata, '{}'::JSONB) || $5, updated_at = NOW()
WHERE id = $1::UUID
RETURNING id::TEXT
"""
SELECT_CONTEXT = """
SELECT session_id, summary, key_facts, entities, topics, sentiment, intent_history
FROM app_conversation_contexts WHERE session_id = $1
"""
UPSERT_CONTEXT = """
INSERT INTO app_conversation_contexts AS c
  (session_id, summary, key_facts, entities, topics, sentiment, intent_history)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (session_id) DO UPDATE SET
  summary = EXCLUDED.summary, key_facts = EXCLUDED.key_facts, entities = EXCLUDED.entities,
  topics = EXCLUDED.topics, sentiment = EXCLUDED.sentiment, intent_history = EXCLUDED.intent_history,
  updated_at = NOW()
"""
SET_CONTEXT_EMBEDDING = """
UPDATE app_conversation_contexts SET context_embedding = $2, updated_at = NOW() WHERE session_id = $1
"""


@dataclass
class SessionRow:
    """A session as a turn sees it. `messages` is the stored history from position `window_start`
    on (a turn loads only what the summary does not cover yet; load_session loads it all, from 0);
    `earlier_visitor_messages` counts the visitor's messages before that position."""

    session_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    summary: str | None = None
    message_count: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    exists: bool = False
    window_start: int = 0
    earlier_visitor_messages: int = 0

    @property
    def total_messages(self) -> int:
        return self.window_start + len(self.messages)


def _session(row: Any, session_id: str) -> SessionRow:
    if row is None:
        return SessionRow(session_id)
    return SessionRow(
        row["session_id"],
        list(row["messages"] or []),
        row["summary"],
        row["message_count"] or 0,
        dict(row["metadata"] or {}),
        row["updated_at"],
        True,
    )


def _windowed_session(raw: dict[str, Any], session_id: str) -> SessionRow:
    session = _session(raw, session_id)
    session.window_start = int(raw.get("window_start") or 0)
    session.earlier_visitor_messages = int(raw.get("earlier_visitor_messages") or 0)
    return session


async def turn_state(
    conn: Conn, session_id: str, context_key: str
) -> tuple[SessionRow, list[tuple[str, str, float]], dict[str, Any] | None]:
    row = await conn.fetchrow(SELECT_TURN_STATE, session_id, context_key)
    assert row is not None
    raw = row["session"]
    session = SessionRow(session_id)
    if raw is not None:
        raw["updated_at"] = datetime.fromisoformat(raw["updated_at"]) if raw.get("updated_at") else None
        session = _windowed_session(raw, session_id)
    known = [(str(t), str(v), float(c)) for t, v, c in row["entities"]]
    return session, known, row["context"]


async def load_session(conn: Conn, session_id: str, *, lock: bool = False) -> SessionRow:
    return _session(await conn.fetchrow(LOCK_SESSION if lock else SELECT_SESSION, session_id), session_id)


async def lock_session(conn: Conn, session_id: str) -> SessionRow:
    await conn.execute(INSERT_SESSION, session_id)
    return await load_session(conn, session_id, lock=True)


async def save_session(conn: Conn, s: SessionRow) -> None:
    await conn.execute(UPDATE_SESSION, s.session_id, s.messages, s.summary, s.message_count, s.metadata)


async def write_turn(
    conn: Conn,
    s: SessionRow,
    appended: list[dict[str, Any]],
    expected_count: int | None,
    entities: list[tuple[str, str, float]],
    source_message: str,
    context_key: str | None,
    ctx: dict[str, Any] | None,
) -> bool:
    """One statement for an ordinary turn, which adds `appended` to the stored history (a new
    session is created with them); False when the session changed since it was read."""
    c = ctx or {}
    args = (
        s.session_id,
        appended,
        s.summary,
        s.message_count,
        s.metadata,
        expected_count,
        [e[0] for e in entities],
        [e[1] for e in entities],
        [e[2] for e in entities],
        source_message,
        context_key if ctx is not None else None,
        c.get("summary"),
        c.get("key_facts", []),
        c.get("entities", {}),
        c.get("topics", []),
        c.get("sentiment", "neutral"),
        c.get("intent_history", []),
    )
    sql = WRITE_TURN_INSERT if expected_count is None else WRITE_TURN_UPDATE
    return await conn.fetchval(sql, *args) is not None


async def reset_session(conn: Conn, session_id: str) -> bool:
    if await conn.fetchval(SESSION_EXISTS, session_id) is None:
        return False
    await conn.execute(RESET_SESSION, session_id)
    await conn.execute(CLEAR_CONVERSATION_STATE, session_id)
    return True


async def chat_config(conn: Conn) -> dict[str, Any]:
    value = await conn.fetchval(SELECT_CHAT_CONFIG)
    return value if isinstance(value, dict) else {}


async def prompt(conn: Conn, name: str = "chatbot_main") -> str | None:
    value = await conn.fetchval(SELECT_PROMPT, name)
    return str(value) if value is not None else None


async def facts(conn: Conn) -> list[tuple[str, str, str]]:
    return [(r["key"], r["value"], r["category"] or "general") for r in await conn.fetch(SELECT_FACTS)]


async def upsert_entities(conn: Conn, session_id: str, rows: list[tuple[str, str, float, str]]) -> None:
    if rows:
        args = [(session_id, kind, value, conf, src, {"mentions": 1}) for kind, value, conf, src in rows]
        await conn.executemany(UPSERT_ENTITY, args)


async def entities(conn: Conn, session_id: str) -> list[tuple[str, str, float]]:
    return [
        (r["entity_type"], r["entity_value"], r["confidence"]) for r in await conn.fetch(SELECT_ENTITIES, session_id)
    ]


async def upsert_lead_by_email(
    conn: Conn,
    session_id: str,
    email: str,
    name: str | None,
    phone: str | None,
    score: int,
    metadata: dict[str, Any],
) -> tuple[str, bool]:
    row = await conn.fetchrow(UPSERT_LEAD_BY_EMAIL, session_id, email, name, phone, score, metadata)
    assert row is not None
    return str(row["id"]), bool(row["created"])


async def insert_lead(
    conn: Conn, session_id: str, name: str | None, phone: str | None, score: int, metadata: dict[str, Any]
) -> str:
    return str(await conn.fetchval(INSERT_LEAD, session_id, name, phone, score, metadata))


async def update_lead(
    conn: Conn, lead_id: str, name: str | None, phone: str | None, score: int, metadata: dict[str, Any]
) -> str | None:
    value = await conn.fetchval(UPDATE_LEAD, lead_id, name, phone, score, metadata)
    return str(value) if value is not None else None


async def context(conn: Conn, key: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(SELECT_CONTEXT, key)
    return dict(row) if row is not None else None


async def save_context(conn: Conn, key: str, ctx: dict[str, Any]) -> None:
    await conn.execute(
        UPSERT_CONTEXT,
        key,
        ctx.get("summary"),
        ctx.get("key_facts", []),
        ctx.get("entities", {}),
        ctx.get("topics", []),
        ctx.get("sentiment", "neutral"),
        ctx.get("intent_history", []),
    )


async def set_context_embedding(conn: Conn, key: str, embedding: list[float]) -> None:
    await conn.execute(SET_CONTEXT_EMBEDDING, key, embedding)
