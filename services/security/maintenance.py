"""Security's maintenance job: delete stale `app_rate_limits` rows (answered in `security.maintenance.prune`).

A row is stale when its window started more than `rate_limits` retention days ago (default 1, far
longer than any window) and it blocks nobody any more: `check_rate_limit` recreates it on the next
request, so nothing is lost but dead rows.
"""

from __future__ import annotations

from typing import Any

from libs.common.db import Conn
from libs.common.maintenance import MaintenancePrune, deleted, prune_job, retention
from libs.common.service import HandlerContext, ServiceApp

DEFAULT_RETENTION_DAYS = 1
PRUNE_RATE_LIMITS = """
DELETE FROM app_rate_limits
WHERE window_start < NOW() - ($1 * INTERVAL '1 day') AND (blocked_until IS NULL OR blocked_until < NOW())
"""


def register(svc: ServiceApp[Any]) -> None:
    @prune_job(svc, "rate_limits")
    async def prune_rate_limits(conn: Conn, ctx: HandlerContext, req: MaintenancePrune) -> int:
        days = retention(req, "rate_limits", DEFAULT_RETENTION_DAYS)
        return deleted(await conn.execute(PRUNE_RATE_LIMITS, days))
