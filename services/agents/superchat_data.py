"""What the owner's super chat reads: leads, quotes, incidents, agent runs and approvals, the registry.

Read-only queries on the shared database (chat's leads, billing's quotes, security's incidents, this
service's agent tables); the super chat never writes any of them. Every function returns plain JSON
values (ISO times, decimal strings) so a result can go to the model, to the reply's `data` and to the
conversation's metadata unchanged.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import asyncpg

LIST_LIMIT = 10
QUOTE_STATUSES = ("pending", "paid", "expired", "cancelled")
SEVERITIES = ("low", "medium", "high", "critical")
RUN_STATUSES = ("running", "completed", "failed", "paused", "cancelled")


def plain(value: Any) -> Any:
    """A JSON value: UUIDs and decimals as strings, times as ISO-8601."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _rows(records: list[asyncpg.Record]) -> list[dict[str, Any]]:
    return [plain(dict(r)) for r in records]


LEADS_COUNT = """
SELECT count(*) AS n, count(*) FILTER (WHERE coalesce(purchase_count, 0) > 0) AS buyers,
       coalesce(round(avg(score)), 0)::INT AS avg_score
FROM app_leads WHERE created_at >= NOW() - ($1 * INTERVAL '1 day')
"""
LEADS_LIST = """
SELECT id, name, email, phone, source, score, coalesce(purchase_count, 0) AS purchases, created_at
FROM app_leads WHERE created_at >= NOW() - ($1 * INTERVAL '1 day')
ORDER BY score DESC NULLS LAST, created_at DESC LIMIT $2
"""


async def leads(pool: asyncpg.Pool, days: int, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Leads created in the last `days` days: how many, how many bought, the best scored first."""
    async with pool.acquire() as conn:
        counted = await conn.fetchrow(LEADS_COUNT, days)
        items = await conn.fetch(LEADS_LIST, days, limit)
    assert counted is not None
    return {"kind": "leads", "days": days, "count": counted["n"], "buyers": counted["buyers"],
            "avg_score": counted["avg_score"], "items": _rows(items)}


QUOTES_COUNT = """
SELECT count(*) AS n, coalesce(sum(total), 0) AS amount,
       count(*) FILTER (WHERE status = 'pending' AND expires_at < NOW() + INTERVAL '24 hours') AS expiring
FROM app_quotes WHERE ($1::TEXT IS NULL OR status = $1)
"""
QUOTES_LIST = """
SELECT id, email, total, currency, status, type, created_at, expires_at
FROM app_quotes WHERE ($1::TEXT IS NULL OR status = $1)
ORDER BY created_at DESC LIMIT $2
"""


async def quotes(pool: asyncpg.Pool, status: str | None, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Quotes in `status` (None: every status): how many, their total, the newest first."""
    chosen = status if status in QUOTE_STATUSES else None
    async with pool.acquire() as conn:
        counted = await conn.fetchrow(QUOTES_COUNT, chosen)
        items = await conn.fetch(QUOTES_LIST, chosen, limit)
    assert counted is not None
    return {"kind": "quotes", "status": chosen, "count": counted["n"], "amount": str(counted["amount"]),
            "expiring_24h": counted["expiring"], "items": _rows(items)}


INCIDENTS_COUNT = """
SELECT count(*) AS n FROM app_security_incidents
WHERE ($1::TEXT IS NULL OR severity = $1) AND ($2::BOOLEAN IS NULL OR resolved = $2)
  AND created_at >= NOW() - ($3 * INTERVAL '1 day')
"""
INCIDENTS_LIST = """
SELECT id, type, severity, session_id, resolved, created_at, details
FROM app_security_incidents
WHERE ($1::TEXT IS NULL OR severity = $1) AND ($2::BOOLEAN IS NULL OR resolved = $2)
  AND created_at >= NOW() - ($3 * INTERVAL '1 day')
ORDER BY array_position(ARRAY['critical', 'high', 'medium', 'low'], severity), created_at DESC
LIMIT $4
"""


async def incidents(pool: asyncpg.Pool, severity: str | None, resolved: bool | None = False, days: int = 30,
                    limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Security incidents of the last `days` days, the most severe first (unresolved by default)."""
    chosen = severity if severity in SEVERITIES else None
    async with pool.acquire() as conn:
        count = await conn.fetchval(INCIDENTS_COUNT, chosen, resolved, days)
        items = await conn.fetch(INCIDENTS_LIST, chosen, resolved, days, limit)
    rows = _rows(items)
    for row in rows:  # the model and the page need the gist, not a visitor's whole message
        details = row.get("details")
        shown = details if isinstance(details, dict) else {}
        row["details"] = {k: str(v)[:200] for k, v in list(shown.items())[:5]}
    return {"kind": "incidents", "severity": chosen, "resolved": resolved, "days": days, "count": count,
            "items": rows}


RUNS_LIST = """
SELECT r.id, r.run_number, r.status, r.stop_reason, r.steps_count AS steps, r.tool_calls_count AS tool_calls,
       r.started_at, r.completed_at, r.summary, o.title, o.id AS objective_id, o.agent_name AS agent
FROM app_agent_runs r LEFT JOIN app_agent_objectives o ON o.id = r.objective_id
WHERE ($1::TEXT IS NULL OR r.status = $1)
ORDER BY r.started_at DESC LIMIT $2
"""
RUNS_COUNT = "SELECT count(*) FROM app_agent_runs WHERE ($1::TEXT IS NULL OR status = $1)"


async def runs(pool: asyncpg.Pool, status: str | None, limit: int = LIST_LIMIT) -> dict[str, Any]:
    chosen = status if status in RUN_STATUSES else None
    async with pool.acquire() as conn:
        count = await conn.fetchval(RUNS_COUNT, chosen)
        items = await conn.fetch(RUNS_LIST, chosen, limit)
    return {"kind": "runs", "status": chosen, "count": count, "items": _rows(items)}


APPROVALS_LIST = """
SELECT a.id, a.run_id, a.tool_name AS tool, a.args, a.risk_reason, a.expires_at, a.created_at, o.title,
       o.agent_name AS agent
FROM app_agent_approvals a LEFT JOIN app_agent_runs r ON r.id = a.run_id
LEFT JOIN app_agent_objectives o ON o.id = r.objective_id
WHERE a.status = 'pending' ORDER BY a.created_at LIMIT $1
"""


async def approvals(pool: asyncpg.Pool, limit: int = LIST_LIMIT) -> dict[str, Any]:
    async with pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM app_agent_approvals WHERE status = 'pending'")
        items = await conn.fetch(APPROVALS_LIST, limit)
    return {"kind": "approvals", "count": count, "items": _rows(items)}


async def agent_names(pool: asyncpg.Pool) -> list[str]:
    """The enabled agents of the registry, by name."""
    return [r["name"] for r in await pool.fetch(
        "SELECT name FROM app_agent_registry WHERE enabled IS NOT FALSE ORDER BY name")]
