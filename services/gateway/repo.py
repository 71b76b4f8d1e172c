"""The gateway's SQL: reads for the admin API, plus the runtime flags it administers.

The gateway writes only `app_runtime_state` (admin flags); every other table here is read-only for it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

SELECT_INCIDENTS = """
SELECT id, type, severity, session_id, ip_address, details, resolved, resolved_at, created_at
FROM app_security_incidents
WHERE ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR severity = $2)
  AND ($3::boolean IS NULL OR resolved = $3)
ORDER BY created_at DESC LIMIT $4 OFFSET $5
"""

SELECT_ADMIN_LOGS = """
SELECT id, level, category, session_id, message, metadata, created_at
FROM app_admin_logs
WHERE ($1::text IS NULL OR level = $1) AND ($2::text IS NULL OR category = $2)
  AND ($3::text IS NULL OR session_id = $3)
ORDER BY created_at DESC LIMIT $4 OFFSET $5
"""

SELECT_LEADS = """
SELECT id, session_id, email, name, phone, source, score, metadata, created_at, updated_at
FROM app_leads
WHERE ($1::integer IS NULL OR score >= $1)
ORDER BY updated_at DESC NULLS LAST LIMIT $2 OFFSET $3
"""

SELECT_QUOTES = """
SELECT id, session_id, email, items, total, currency, status, checkout_url, type, created_at, expires_at
FROM app_quotes
WHERE ($1::text IS NULL OR status = $1)
ORDER BY created_at DESC LIMIT $2 OFFSET $3
"""

SELECT_FLAGS = "SELECT key, value, updated_at FROM app_runtime_state ORDER BY key"

UPSERT_FLAG = """
INSERT INTO app_runtime_state (key, value, updated_at) VALUES ($1, $2::jsonb, NOW())
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = NOW()
RETURNING key, value, updated_at
"""


def _row(record: asyncpg.Record) -> dict[str, Any]:
    return {key: _plain(value) for key, value in record.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


async def list_incidents(pool: asyncpg.Pool, *, type_: str | None, severity: str | None,
                         resolved: bool | None, limit: int, offset: int) -> list[dict[str, Any]]:
    return [_row(r) for r in await pool.fetch(SELECT_INCIDENTS, type_, severity, resolved, limit, offset)]


async def list_admin_logs(pool: asyncpg.Pool, *, level: str | None, category: str | None,
                          session_id: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await pool.fetch(SELECT_ADMIN_LOGS, level, category, session_id, limit, offset)
    return [_row(r) for r in rows]


async def list_leads(pool: asyncpg.Pool, *, min_score: int | None, limit: int,
                     offset: int) -> list[dict[str, Any]]:
    return [_row(r) for r in await pool.fetch(SELECT_LEADS, min_score, limit, offset)]


async def list_quotes(pool: asyncpg.Pool, *, status: str | None, limit: int,
                      offset: int) -> list[dict[str, Any]]:
    return [_row(r) for r in await pool.fetch(SELECT_QUOTES, status, limit, offset)]


async def list_flags(pool: asyncpg.Pool) -> dict[str, Any]:
    return {r["key"]: r["value"] for r in await pool.fetch(SELECT_FLAGS)}


async def set_flag(pool: asyncpg.Pool, key: str, value: Any) -> dict[str, Any]:
    record = await pool.fetchrow(UPSERT_FLAG, key, value)
    assert record is not None
    return _row(record)


SELECT_FACTS = """
SELECT key, value, category, version, active, updated_at FROM app_company_facts ORDER BY key
"""

# the CTE reads the value before the upsert, for the version history
UPSERT_FACT = """
WITH old AS (SELECT value FROM app_company_facts WHERE key = $1)
INSERT INTO app_company_facts (key, value, category) VALUES ($1, $2, COALESCE($3, 'general'))
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
  category = COALESCE($3, app_company_facts.category),
  version = app_company_facts.version + 1, active = TRUE, updated_at = NOW()
RETURNING key, value, category, version, active, updated_at, (SELECT value FROM old) AS old_value
"""

INSERT_FACT_VERSION = """
INSERT INTO app_company_facts_versions (fact_key, old_value, new_value, version, changed_by)
VALUES ($1, $2, $3, $4, 'admin')
"""

SELECT_PROMPTS = "SELECT name, content, version, active, updated_at FROM app_prompt_store ORDER BY name"

UPSERT_PROMPT = """
INSERT INTO app_prompt_store (name, content) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET content = EXCLUDED.content,
  version = app_prompt_store.version + 1, active = TRUE, updated_at = NOW()
RETURNING name, content, version, active, updated_at
"""


async def list_facts(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    return [_row(r) for r in await pool.fetch(SELECT_FACTS)]


async def set_fact(pool: asyncpg.Pool, key: str, value: str, category: str | None) -> dict[str, Any]:
    """Update a company fact and record the change in its version history, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        record = await conn.fetchrow(UPSERT_FACT, key, value, category)
        assert record is not None
        await conn.execute(INSERT_FACT_VERSION, key, record["old_value"], value, record["version"])
    fact = _row(record)
    fact.pop("old_value")
    return fact


async def list_prompts(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    return [_row(r) for r in await pool.fetch(SELECT_PROMPTS)]


INSERT_PROMPT_VERSION = """
INSERT INTO app_prompt_store_versions (prompt_name, old_content, new_content, version, changed_by)
VALUES ($1, $2, $3, $4, 'admin-api')
"""


async def set_prompt(pool: asyncpg.Pool, name: str, content: str) -> dict[str, Any]:
    """Update a prompt and keep the change in app_prompt_store_versions (066), in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        old = await conn.fetchval("SELECT content FROM app_prompt_store WHERE name = $1", name)
        record = await conn.fetchrow(UPSERT_PROMPT, name, content)
        assert record is not None
        await conn.execute(INSERT_PROMPT_VERSION, name, old, content, record["version"])
    return _row(record)


SELECT_ADMIN_CONFIG = "SELECT key, value, description, updated_at FROM app_admin_config ORDER BY key"
UPSERT_ADMIN_CONFIG = """
INSERT INTO app_admin_config (key, value, description) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
  description = COALESCE($3, app_admin_config.description), updated_at = NOW()
RETURNING key, value, description, updated_at
"""


async def list_admin_config(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    return [_row(r) for r in await pool.fetch(SELECT_ADMIN_CONFIG)]


async def set_admin_config(pool: asyncpg.Pool, key: str, value: dict[str, Any],
                           description: str | None) -> dict[str, Any]:
    record = await pool.fetchrow(UPSERT_ADMIN_CONFIG, key, value, description)
    assert record is not None
    return _row(record)
