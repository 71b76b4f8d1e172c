"""Agents' maintenance job: `prune_agent_events(retention)` (migration 024), answered in
`agents.maintenance.prune`. The retention is app_agent_config `event_retention_days` (default 30),
read at each run. (This file is written by the social-maintenance lane by agreement with agents.)
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from libs.common.db import Conn
from libs.common.logging import get_logger
from libs.common.maintenance import MaintenancePrune, prune_job, retention
from libs.common.service import HandlerContext, ServiceApp

log = get_logger(__name__)
DEFAULT_EVENT_RETENTION_DAYS = 30
SELECT_RETENTION = "SELECT value FROM app_agent_config WHERE key = 'event_retention_days'"


async def event_retention_days(conn: Conn) -> int:
    value = await conn.fetchval(SELECT_RETENTION)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        if value is not None:
            log.warning("agent_config_invalid", key="event_retention_days", value=str(value)[:50])
        return DEFAULT_EVENT_RETENTION_DAYS
    return int(value)


def register(svc: ServiceApp[Any]) -> None:
    @prune_job(svc, "agent_events")
    async def prune_events(conn: Conn, ctx: HandlerContext, req: MaintenancePrune) -> int:
        days = retention(req, "agent_events", await event_retention_days(conn))
        return int(await conn.fetchval("SELECT prune_agent_events($1)", days))
