"""Reads of tables other services own (facts, leads, incidents), for the read-only tools.

Reading a table is allowed to every service (docs/architecture.md, "Table ownership"); changes go
through the owner's requests (tools.py)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

SELECT_FACTS = "SELECT key, value FROM app_company_facts WHERE active IS NOT FALSE ORDER BY key"
SELECT_LEADS = """
SELECT id, email, name, score, source, created_at, COALESCE(purchase_count, 0) AS purchase_count,
       last_purchase_at, total_spend
FROM app_leads
WHERE created_at >= NOW() - ($1 * INTERVAL '1 day') AND COALESCE(score, 0) >= $2
  AND (NOT $3 OR COALESCE(purchase_count, 0) = 0)
ORDER BY score DESC NULLS LAST, created_at DESC
LIMIT $4
"""
SELECT_LEAD = """
SELECT id, session_id, email, name, phone, score, source, metadata, created_at, updated_at,
       COALESCE(purchase_count, 0) AS purchase_count, last_purchase_at, total_spend
FROM app_leads WHERE ($1::uuid IS NOT NULL AND id = $1) OR ($2::text IS NOT NULL AND lower(email) = lower($2))
ORDER BY updated_at DESC LIMIT 1
"""
LEAD_EMAIL_EXISTS = "SELECT EXISTS (SELECT 1 FROM app_leads WHERE lower(email) = lower($1))"
SELECT_INCIDENTS = """
SELECT id, type, severity, session_id, details, resolved, created_at
FROM app_security_incidents
WHERE created_at >= NOW() - ($1 * INTERVAL '1 day') AND ($2::text IS NULL OR severity = $2)
  AND (NOT $3 OR resolved IS NOT TRUE)
ORDER BY created_at DESC LIMIT $4
"""


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif value is not None and not isinstance(value, str | int | float | bool | dict | list):
            value = str(value)  # Decimal
        out[key] = value
    return out


async def company_facts(pool: asyncpg.Pool) -> dict[str, str]:
    return {r["key"]: r["value"] for r in await pool.fetch(SELECT_FACTS)}


async def list_leads(pool: asyncpg.Pool, since_days: int, min_score: int, without_purchase: bool,
                     limit: int) -> list[dict[str, Any]]:
    return [_plain(r) for r in await pool.fetch(SELECT_LEADS, since_days, min_score, without_purchase, limit)]


async def get_lead(pool: asyncpg.Pool, lead_id: str | None, email: str | None) -> dict[str, Any] | None:
    try:
        ident = uuid.UUID(lead_id) if lead_id else None
    except ValueError:
        return None
    row = await pool.fetchrow(SELECT_LEAD, ident, email)
    if row is None:
        return None
    lead = _plain(row)
    metadata = lead.pop("metadata", None) or {}
    lead["notes"] = metadata.get("notes", []) if isinstance(metadata, dict) else []
    return lead


async def lead_email_exists(pool: asyncpg.Pool, email: str) -> bool:
    return bool(await pool.fetchval(LEAD_EMAIL_EXISTS, email))


async def list_incidents(pool: asyncpg.Pool, since_days: int, severity: str | None, unresolved_only: bool,
                         limit: int) -> list[dict[str, Any]]:
    return [_plain(r) for r in await pool.fetch(SELECT_INCIDENTS, since_days, severity, unresolved_only, limit)]
