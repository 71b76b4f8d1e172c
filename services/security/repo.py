"""SQL of the security service: rate limits, incidents, blocks, admin logs, flags and admin config."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from libs.common.db import Conn

CHECK_RATE_LIMITS = """
SELECT t.key, check_rate_limit(t.key, t.max, t.window_s, t.block_s) AS result
FROM unnest($1::text[], $2::int[], $3::int[], $4::int[]) WITH ORDINALITY AS t(key, max, window_s, block_s, n)
ORDER BY t.n
"""
INSERT_INCIDENT = """
INSERT INTO app_security_incidents (type, severity, session_id, ip_address, details)
VALUES ($1, $2, $3, $4, $5) RETURNING id
"""
# Serialises writers of one once-key (a rate-limit window) for the rest of the transaction.
LOCK_ONCE = "SELECT pg_advisory_xact_lock(hashtext($1))"
INCIDENT_ONCE_EXISTS = """
SELECT EXISTS (SELECT 1 FROM app_security_incidents WHERE type = $1 AND details->>'once' = $2
               AND created_at > NOW() - INTERVAL '1 day')
"""
# Escalation counts high-confidence attacks only: screened messages that were blocked (not flags, not
# rate-limit refusals, not replies stopped by the output guard), by this session and, behind this
# address, the distinct sessions that sent one.
COUNT_RECENT_ATTACKS = """
SELECT COUNT(*) FILTER (WHERE session_id = $1) AS session_attacks,
       COUNT(DISTINCT session_id) FILTER (WHERE ip_address = $2) AS ip_sessions
FROM app_security_incidents
WHERE created_at > NOW() - make_interval(secs => $3)
  AND ((session_id IS NOT NULL AND session_id = $1) OR (ip_address IS NOT NULL AND ip_address = $2))
  AND type <> 'rate_limit' AND details->>'verdict' = 'block' AND details->>'route' IS DISTINCT FROM 'output'
"""
# Escalation: block the keys now (a rate-limit row is created when the key has none yet).
BLOCK_KEYS = """
INSERT INTO app_rate_limits AS r (key, count, window_start, blocked_until)
SELECT k, 0, NOW(), NOW() + make_interval(secs => $2) FROM unnest($1::text[]) AS k
ON CONFLICT (key) DO UPDATE SET blocked_until = GREATEST(r.blocked_until, EXCLUDED.blocked_until)
RETURNING blocked_until
"""
INSERT_ADMIN_LOG = """
INSERT INTO app_admin_logs (level, category, session_id, message, metadata) VALUES ($1, $2, $3, $4, $5)
"""
SELECT_ADMIN_CONFIG = "SELECT value FROM app_admin_config WHERE key = $1"


async def check_rate_limits(conn: Conn, limits: list[tuple[str, int, int, int]]) -> list[tuple[str, dict[str, Any]]]:
    """One round trip: each (key, max, window_s, block_s) through check_rate_limit, in order."""
    rows = await conn.fetch(
        CHECK_RATE_LIMITS, scrub([k for k, *_ in limits]), [m for _, m, _, _ in limits],
        [w for *_, w, _ in limits], [b for *_, b in limits],
    )
    return [(row["key"], _as_dict(row["result"])) for row in rows]


async def insert_incident(conn: Conn, kind: str, severity: str, session_id: str | None, ip: str | None,
                          details: dict[str, Any]) -> str:
    return str(await conn.fetchval(INSERT_INCIDENT, kind, severity, scrub(session_id), scrub(ip), scrub(details)))


async def claim_once(conn: Conn, kind: str, once: str) -> bool:
    """True when no incident of this kind was recorded under `once` yet (call inside a transaction)."""
    await conn.execute(LOCK_ONCE, scrub(once))
    return not await conn.fetchval(INCIDENT_ONCE_EXISTS, kind, scrub(once))


async def count_recent_attacks(conn: Conn, session_id: str | None, ip: str | None,
                               window_s: int) -> tuple[int, int]:
    """(blocked messages of this session, distinct sessions with a blocked message behind this IP)."""
    if session_id is None and ip is None:
        return 0, 0
    row = await conn.fetchrow(COUNT_RECENT_ATTACKS, scrub(session_id), scrub(ip), window_s)
    return (int(row["session_attacks"]), int(row["ip_sessions"])) if row is not None else (0, 0)


async def block_keys(conn: Conn, keys: list[str], seconds: int) -> datetime | None:
    rows = await conn.fetch(BLOCK_KEYS, scrub(keys), seconds)
    return max((row["blocked_until"] for row in rows), default=None)


async def insert_admin_log(conn: Conn, level: str, category: str, session_id: str | None, message: str,
                           metadata: dict[str, Any]) -> None:
    await conn.execute(INSERT_ADMIN_LOG, level, scrub(category), scrub(session_id), scrub(message), scrub(metadata))


async def admin_config(conn: Conn, key: str) -> dict[str, Any] | None:
    value = await conn.fetchval(SELECT_ADMIN_CONFIG, key)
    return _as_dict(value) if value is not None else None


def scrub(value: Any) -> Any:
    """Postgres text and jsonb refuse NUL characters: visitors' input may carry them."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def _as_dict(value: Any) -> dict[str, Any]:
    # the pool decodes jsonb; a bare connection without the codec hands back text
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}
