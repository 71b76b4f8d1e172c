"""The console's audit trail: who changed what, as `admin.log.recorded` events (category `audit`),
which the security service writes to app_admin_logs (its table). Sent through the gateway's outbox,
in the transaction of the change when the gateway owns the data."""

from __future__ import annotations

from typing import Any

import asyncpg

from libs.common.db import Conn
from libs.common.events.security import AdminLogRecorded
from libs.common.outbox import add_event
from services.gateway.console.users import User


def entry(user: User, action: str, target: str, **details: Any) -> AdminLogRecorded:
    return AdminLogRecorded(level="info", category="audit", service="gateway",
                            message=f"{user.email} {action} {target}"[:4000],
                            session_id=details.pop("session_id", None),
                            metadata={"user_id": user.id, "user": user.email, "role": user.role,
                                      "action": action, "target": target, **details})


async def record(conn: Conn | asyncpg.Pool, user: User, action: str, target: str, **details: Any) -> None:
    message = entry(user, action, target, **details)
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as c, c.transaction():
            await add_event(c, message, source="gateway", session_id=message.session_id)
        return
    await add_event(conn, message, source="gateway", session_id=message.session_id)
