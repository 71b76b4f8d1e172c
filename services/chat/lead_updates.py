"""`chat.update_lead`: another service (an agent's `update_lead` tool) changes a lead's score or adds
a note. Chat owns app_leads; the request is exactly once by request id (`writes=True`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from libs.common.errors import RemoteError
from libs.common.events.chat import LeadReply, LeadView, UpdateLead
from libs.common.logging import get_logger
from libs.common.service import HandlerContext

log = get_logger(__name__)
MAX_NOTES = 50  # the newest notes kept on a lead

UPDATE_LEAD = """
UPDATE app_leads SET
  score = COALESCE($2, score),
  metadata = CASE WHEN $3::jsonb IS NULL THEN metadata ELSE jsonb_set(
    COALESCE(metadata, '{}'::jsonb), '{notes}',
    (SELECT COALESCE(jsonb_agg(n ORDER BY i), '[]'::jsonb) FROM (
       SELECT n, i FROM jsonb_array_elements(COALESCE(metadata->'notes', '[]'::jsonb) || $3::jsonb)
       WITH ORDINALITY AS t(n, i) ORDER BY i DESC LIMIT $4) recent)) END,
  updated_at = NOW()
WHERE id = $1
RETURNING id, email, name, score, metadata, updated_at
"""


def _lead_uuid(lead_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(lead_id)
    except ValueError as exc:
        raise RemoteError("not_found", f"no lead {lead_id}") from exc


async def update_lead(req: UpdateLead, ctx: HandlerContext, deps: Any) -> LeadReply:
    note: list[dict[str, str]] | None = None
    if req.note is not None:
        note = [{"text": req.note, "author": req.author, "at": dt.datetime.now(dt.UTC).isoformat()}]
    async with ctx.transaction() as conn:
        row = await conn.fetchrow(UPDATE_LEAD, _lead_uuid(req.lead_id), req.score, note, MAX_NOTES)
    if row is None:
        raise RemoteError("not_found", f"no lead {req.lead_id}")
    metadata = row["metadata"] if isinstance(row["metadata"], dict) else {}
    notes = list(metadata.get("notes") or [])
    log.info("lead_updated", lead_id=req.lead_id, score=req.score, note=req.note is not None, author=req.author)
    return LeadReply(lead=LeadView(id=str(row["id"]), email=row["email"], name=row["name"], score=row["score"] or 0,
                                   notes=notes, updated_at=row["updated_at"].isoformat()))
