"""SQL of the social publication queue (`app_social_publication_queue`, migrations 013 and 079)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from libs.common.db import Conn
from libs.common.events.social import PlatformResult, SocialPost

NOTIFY_CHANNEL = "comptoir_social"
COLUMNS = """id, content, media_url, media_type, platforms, status, approved_by, approved_at, published_at,
error_message, metadata, created_at, scheduled_at, source_kind, source_id, updated_at, publish_lease_until"""

INSERT = f"""
INSERT INTO app_social_publication_queue
  (content, media_url, media_type, platforms, status, approved_by, approved_at, metadata, scheduled_at,
   source_kind, source_id)
VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE NOW() END, $7, $8, $9, $10)
RETURNING {COLUMNS}
"""
SELECT_ONE = f"SELECT {COLUMNS} FROM app_social_publication_queue WHERE id = $1"
LIST = f"""
SELECT {COLUMNS} FROM app_social_publication_queue
WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, id LIMIT $2
"""
DECIDE = f"""
UPDATE app_social_publication_queue
SET status = $2, approved_by = $3, approved_at = CASE WHEN $2 = 'approved' THEN NOW() ELSE approved_at END,
    error_message = $4, metadata = metadata || $5::jsonb, updated_at = NOW()
WHERE id = $1 AND status = 'pending'
RETURNING {COLUMNS}
"""
# the next approved post that is due and that no live replica holds
CLAIM = f"""
UPDATE app_social_publication_queue SET publish_lease_until = NOW() + ($1 * INTERVAL '1 second'), updated_at = NOW()
WHERE id = (
  SELECT id FROM app_social_publication_queue
  WHERE status = 'approved' AND (scheduled_at IS NULL OR scheduled_at <= NOW())
    AND (publish_lease_until IS NULL OR publish_lease_until < NOW())
  ORDER BY scheduled_at NULLS FIRST, created_at
  LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING {COLUMNS}
"""
NEXT_DUE = """
SELECT MIN(GREATEST(COALESCE(scheduled_at, NOW()), COALESCE(publish_lease_until, NOW())))
FROM app_social_publication_queue WHERE status = 'approved'
"""
# a write of the publisher, only while it still holds the lease it was given
SAVE_RESULTS = """
UPDATE app_social_publication_queue
SET metadata = jsonb_set(metadata, '{results}', $3::jsonb),
    publish_lease_until = NOW() + ($4 * INTERVAL '1 second'), updated_at = NOW()
WHERE id = $1 AND publish_lease_until = $2 AND status = 'approved'
RETURNING publish_lease_until
"""
FINISH = """
UPDATE app_social_publication_queue
SET status = $3, metadata = jsonb_set(metadata, '{results}', $4::jsonb), error_message = $5,
    published_at = CASE WHEN $3 = 'published' THEN NOW() ELSE published_at END,
    publish_lease_until = NULL, updated_at = NOW()
WHERE id = $1 AND publish_lease_until = $2 AND status = 'approved'
RETURNING id
"""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def to_post(row: asyncpg.Record) -> SocialPost:
    metadata = dict(_json(row["metadata"]) or {})
    raw_results = metadata.pop("results", {}) or {}
    results = {name: PlatformResult.model_validate(value) for name, value in raw_results.items()}
    return SocialPost(
        id=str(row["id"]), content=row["content"], platforms=list(_json(row["platforms"]) or []),
        status=row["status"], media_url=row["media_url"],
        media_type=row["media_type"] if row["media_url"] else None,
        scheduled_at=_iso(row["scheduled_at"]), source_kind=row["source_kind"], source_id=row["source_id"],
        approved_by=row["approved_by"], approved_at=_iso(row["approved_at"]),
        published_at=_iso(row["published_at"]), error_message=row["error_message"], results=results,
        metadata=metadata, created_at=_iso(row["created_at"]),
    )


def parse_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def insert(conn: Conn, *, content: str, media_url: str | None, media_type: str | None,
                 platforms: list[str], status: str, approved_by: str | None, metadata: dict[str, Any],
                 scheduled_at: datetime | None, source_kind: str, source_id: str | None) -> asyncpg.Record:
    row = await conn.fetchrow(INSERT, content, media_url, media_type, platforms, status, approved_by,
                              metadata, scheduled_at, source_kind, source_id)
    assert row is not None
    if status == "approved":
        await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")  # delivered on commit: publishers wake up
    return row


async def fetch(conn: Conn | asyncpg.Pool, post_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ONE, post_id)


async def list_posts(conn: Conn | asyncpg.Pool, status: str | None, limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(LIST, status, limit))


async def decide(conn: Conn, post_id: uuid.UUID, status: str, by: str | None, error: str | None,
                 metadata: dict[str, Any]) -> asyncpg.Record | None:
    row = await conn.fetchrow(DECIDE, post_id, status, by, error, metadata)
    if row is not None and status == "approved":
        await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return row


async def claim_due(pool: asyncpg.Pool, lease_s: float) -> asyncpg.Record | None:
    async with pool.acquire() as conn:
        return await conn.fetchrow(CLAIM, lease_s)


async def next_due(pool: asyncpg.Pool) -> datetime | None:
    async with pool.acquire() as conn:
        value: datetime | None = await conn.fetchval(NEXT_DUE)
        return value


async def save_results(pool: asyncpg.Pool, post_id: uuid.UUID, lease: datetime, results: dict[str, Any],
                       lease_s: float) -> datetime | None:
    async with pool.acquire() as conn:
        value: datetime | None = await conn.fetchval(SAVE_RESULTS, post_id, lease, results, lease_s)
        return value


async def finish(pool: asyncpg.Pool, post_id: uuid.UUID, lease: datetime, status: str, results: dict[str, Any],
                 error: str | None) -> bool:
    async with pool.acquire() as conn:
        return await conn.fetchval(FINISH, post_id, lease, status, results, error) is not None
