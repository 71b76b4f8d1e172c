"""Resolving incidents for the owner console (`security.resolve_incident`): security owns the table."""

from __future__ import annotations

import uuid

from libs.common.events.security import IncidentResolution, ResolveIncident
from libs.common.service import HandlerContext

RESOLVE = """
UPDATE app_security_incidents
SET resolved = TRUE, resolved_at = COALESCE(resolved_at, NOW()),
    details = COALESCE(details, '{}'::JSONB) || CASE WHEN resolved THEN '{}'::JSONB
      ELSE jsonb_build_object('resolution', jsonb_build_object('note', $2::TEXT, 'by', $3::TEXT)) END
WHERE id = $1::UUID
RETURNING resolved, resolved_at
"""


async def resolve(req: ResolveIncident, ctx: HandlerContext) -> IncidentResolution:
    try:
        uuid.UUID(req.incident_id)
    except ValueError:
        return IncidentResolution(incident_id=req.incident_id, found=False)
    row = await ctx.pool.fetchrow(RESOLVE, req.incident_id, req.note, req.resolved_by)
    if row is None:
        return IncidentResolution(incident_id=req.incident_id, found=False)
    return IncidentResolution(incident_id=req.incident_id, found=True, resolved=row["resolved"],
                              resolved_at=row["resolved_at"])
