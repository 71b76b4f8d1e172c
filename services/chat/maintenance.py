"""Chat's maintenance job: `prune_expired_sessions(chat_config.sessionTtlDays)` (migration 024).

Answered as part of `chat.maintenance.prune` (libs/common/maintenance.py); the workflows service runs
it daily. `sessionTtlDays` is read from app_admin_config `chat_config` at each run (default 90).
"""

from __future__ import annotations

from typing import Any

from libs.common.db import Conn
from libs.common.logging import get_logger
from libs.common.maintenance import MaintenancePrune, prune_job, retention
from libs.common.service import HandlerContext, ServiceApp
from services.chat import repo

log = get_logger(__name__)
DEFAULT_SESSION_TTL_DAYS = 90


async def session_ttl_days(conn: Conn) -> int:
    config = await repo.chat_config(conn)
    try:
        days = int(config.get("sessionTtlDays", DEFAULT_SESSION_TTL_DAYS))
    except (TypeError, ValueError):
        log.warning("chat_config_invalid", key="sessionTtlDays", value=str(config.get("sessionTtlDays"))[:50])
        days = DEFAULT_SESSION_TTL_DAYS
    return days if days >= 1 else DEFAULT_SESSION_TTL_DAYS


def register(svc: ServiceApp[Any]) -> None:
    @prune_job(svc, "chat_sessions")
    async def prune_sessions(conn: Conn, ctx: HandlerContext, req: MaintenancePrune) -> int:
        days = retention(req, "chat_sessions", await session_ttl_days(conn))
        return int(await conn.fetchval("SELECT prune_expired_sessions($1)", days))
