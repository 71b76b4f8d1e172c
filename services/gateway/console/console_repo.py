"""The console's SQL. Written here (the gateway's tables): company facts and their versions, prompts
and their versions (066), runtime flags, the chat configuration — each change with its audit event in
the same transaction. Read only: rag's documents."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from libs.common.flags import flag_value
from services.gateway.console import audit
from services.gateway.console.users import User

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")

# The runtime flags the owner may switch (app_runtime_state), with what each does; a subset of the known
# flags of libs/common/flags.py. Any other name is refused, by the console as by the admin API.
KNOWN_FLAGS: dict[str, tuple[bool, str]] = {
    "v3KillSwitch": (False, "Coupe le modèle de langage : l'assistant répond en mode documentaire seulement."),
    "topicLockEnabled": (True, "Recentre poliment la conversation sur la boutique après plusieurs messages "
                               "hors sujet."),
    "conversationGuardEnabled": (True, "Vérifie chaque réponse du modèle (fuite de consignes, données d'autrui)."),
    "roleLockEnabled": (True, "Refuse les demandes de changer le rôle de l'assistant."),
}


def flag_on(value: Any, default: bool) -> bool:
    """As every service reads it (libs/common/flags.py): a JSON boolean, anything else the default."""
    return flag_value(value, default)


LEADS = """
SELECT id::TEXT AS id, session_id, email, name, phone, score, updated_at,
  COALESCE(metadata->'intents', '[]'::JSONB) AS intents,
  COALESCE(purchase_count, 0) AS purchase_count, total_spend, last_purchase_at
FROM app_leads ORDER BY updated_at DESC NULLS LAST LIMIT $1 OFFSET $2
"""


async def leads(pool: asyncpg.Pool, limit: int, offset: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await pool.fetch(LEADS, limit, offset)]


DOCUMENTS = """
SELECT source, min(title) AS title, min(category) AS category, sum(chunk_count) AS chunks,
  max(updated_at) AS updated_at, count(*) AS documents
FROM app_knowledge_documents GROUP BY source ORDER BY max(updated_at) DESC LIMIT $1 OFFSET $2
"""
DOCUMENT = """
SELECT d.id, d.title, d.category, d.language, d.chunk_table FROM app_knowledge_documents d
WHERE d.source = $1 ORDER BY d.updated_at DESC LIMIT 1
"""
CHUNKS = {
    "app_knowledge_chunks": "SELECT content FROM app_knowledge_chunks WHERE document_id = $1 ORDER BY chunk_index",
    "app_knowledge_chunks_v2": "SELECT content FROM app_knowledge_chunks_v2 WHERE document_id = $1 "
                               "ORDER BY chunk_index",
}


async def documents(pool: asyncpg.Pool, limit: int, offset: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await pool.fetch(DOCUMENTS, limit, offset)]


async def document_text(pool: asyncpg.Pool, source: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(DOCUMENT, source)
    if row is None:
        return None
    chunks = await pool.fetch(CHUNKS[row["chunk_table"]], row["id"])
    return {"title": row["title"], "category": row["category"], "language": row["language"],
            "text": "\n\n".join(c["content"] for c in chunks)}


UPSERT_FACT = """
WITH old AS (SELECT value FROM app_company_facts WHERE key = $1)
INSERT INTO app_company_facts (key, value, category) VALUES ($1, $2, COALESCE($3, 'general'))
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
  category = COALESCE($3, app_company_facts.category),
  version = app_company_facts.version + 1, active = TRUE, updated_at = NOW()
RETURNING version, (SELECT value FROM old) AS old_value
"""
INSERT_FACT_VERSION = """
INSERT INTO app_company_facts_versions (fact_key, old_value, new_value, version, changed_by)
VALUES ($1, $2, $3, $4, $5)
"""
FACT_VERSIONS = """
SELECT version, old_value, new_value, changed_by, created_at FROM app_company_facts_versions
WHERE fact_key = $1 ORDER BY version DESC, created_at DESC LIMIT 100
"""
FACT_AT = """
SELECT COALESCE(
  (SELECT new_value FROM app_company_facts_versions WHERE fact_key = $1 AND version = $2
   ORDER BY created_at DESC LIMIT 1),
  (SELECT old_value FROM app_company_facts_versions WHERE fact_key = $1 AND version = $2 + 1
   ORDER BY created_at LIMIT 1))
"""


async def _save_versioned(pool: asyncpg.Pool, user: User, subject: str, upsert: str, record: str, name: str,
                          value: str, *extra: Any, rolled_back_to: int | None) -> int:
    """Write a fact or a prompt, keep the change in its versions table and audit it, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(upsert, name, value, *extra)
        assert row is not None
        await conn.execute(record, name, row["old_value"], value, row["version"], user.email)
        action = "rolled_back" if rolled_back_to is not None else "changed"
        await audit.record(conn, user, action, f"{subject} {name}", version=row["version"],
                           to_version=rolled_back_to)
    return int(row["version"])


async def _versions(pool: asyncpg.Pool, query: str, name: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await pool.fetch(query, name)]


async def _value_at(pool: asyncpg.Pool, query: str, name: str, version: int) -> str | None:
    value = await pool.fetchval(query, name, version)
    return str(value) if value is not None else None


async def set_fact(pool: asyncpg.Pool, user: User, key: str, value: str, category: str | None,
                   rolled_back_to: int | None = None) -> int:
    return await _save_versioned(pool, user, "fact", UPSERT_FACT, INSERT_FACT_VERSION, key, value, category,
                                 rolled_back_to=rolled_back_to)


async def fact_versions(pool: asyncpg.Pool, key: str) -> list[dict[str, Any]]:
    return await _versions(pool, FACT_VERSIONS, key)


async def fact_value_at(pool: asyncpg.Pool, key: str, version: int) -> str | None:
    return await _value_at(pool, FACT_AT, key, version)


UPSERT_PROMPT = """
WITH old AS (SELECT content FROM app_prompt_store WHERE name = $1)
INSERT INTO app_prompt_store (name, content) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET content = EXCLUDED.content,
  version = app_prompt_store.version + 1, active = TRUE, updated_at = NOW()
RETURNING version, (SELECT content FROM old) AS old_value
"""
INSERT_PROMPT_VERSION = """
INSERT INTO app_prompt_store_versions (prompt_name, old_content, new_content, version, changed_by)
VALUES ($1, $2, $3, $4, $5)
"""
PROMPT_VERSIONS = """
SELECT version, old_content AS old_value, new_content AS new_value, changed_by, created_at
FROM app_prompt_store_versions WHERE prompt_name = $1 ORDER BY version DESC, created_at DESC LIMIT 100
"""
PROMPT_AT = """
SELECT COALESCE(
  (SELECT new_content FROM app_prompt_store_versions WHERE prompt_name = $1 AND version = $2
   ORDER BY created_at DESC LIMIT 1),
  (SELECT old_content FROM app_prompt_store_versions WHERE prompt_name = $1 AND version = $2 + 1
   ORDER BY created_at LIMIT 1))
"""


async def set_prompt(pool: asyncpg.Pool, user: User, name: str, content: str,
                     rolled_back_to: int | None = None) -> int:
    return await _save_versioned(pool, user, "prompt", UPSERT_PROMPT, INSERT_PROMPT_VERSION, name, content,
                                 rolled_back_to=rolled_back_to)


async def prompt_versions(pool: asyncpg.Pool, name: str) -> list[dict[str, Any]]:
    return await _versions(pool, PROMPT_VERSIONS, name)


async def prompt_value_at(pool: asyncpg.Pool, name: str, version: int) -> str | None:
    return await _value_at(pool, PROMPT_AT, name, version)


UPSERT_FLAG = """
INSERT INTO app_runtime_state (key, value, updated_at) VALUES ($1, $2::jsonb, NOW())
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = NOW()
"""


async def set_flag(pool: asyncpg.Pool, user: User, name: str, value: bool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(UPSERT_FLAG, name, value)
        await audit.record(conn, user, "set_flag", f"flag {name}", value=value)


SELECT_CHAT_CONFIG = "SELECT value FROM app_admin_config WHERE key = 'chat_config'"
UPSERT_CHAT_CONFIG = """
INSERT INTO app_admin_config (key, value) VALUES ('chat_config', $1)
ON CONFLICT (key) DO UPDATE SET value = COALESCE(app_admin_config.value, '{}'::JSONB) || EXCLUDED.value,
  updated_at = NOW()
"""


async def chat_config(pool: asyncpg.Pool) -> dict[str, Any]:
    value = await pool.fetchval(SELECT_CHAT_CONFIG)
    return value if isinstance(value, dict) else {}


async def set_chat_config(pool: asyncpg.Pool, user: User, values: dict[str, int]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(UPSERT_CHAT_CONFIG, values)
        await audit.record(conn, user, "changed", "chat_config", **{"values": values})
