"""Forward a service's warn+ structlog events to the admin log as `admin.log.recorded` events.

    from services.security.logsink import install_admin_log_forwarder
    install_admin_log_forwarder(svc)          # in a service's app.py, before svc.run()

A structlog processor copies warning/error/critical events into a bounded buffer (never blocking,
never raising: logging must not fail because the admin log does); a periodic job writes them to the
outbox in one transaction, and the security service's sink stores them in app_admin_logs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import MutableMapping
from typing import Any

import structlog

from libs.common.events.security import AdminLogRecorded, LogLevel
from libs.common.outbox import add_event
from libs.common.service import HandlerContext, ServiceApp
from libs.guard.output_guard import secrets_in

_LEVELS: dict[str, LogLevel] = {"warning": "warn", "warn": "warn", "error": "error", "critical": "error",
                                "exception": "error", "fatal": "error"}
_CATEGORIES = {"chat": "chat", "security": "security", "agents": "agent", "rag": "memory"}
_SKIP_KEYS = {"event", "level", "timestamp", "session_id", "exc_info", "stack_info", "admin_log"}
_META_CHARS = 500
# Redacted here too: the admin log is read in a browser, and a service may log before configure_logging.
_SECRET_MARKERS = ("password", "secret", "token", "api_key", "apikey", "authorization", "dsn", "database_url")


def _safe(key: str, value: Any) -> str:
    text = str(value)[:_META_CHARS]
    if any(marker in key.lower() for marker in _SECRET_MARKERS) or secrets_in(text, []):
        return "***"
    return text


class AdminLogForwarder:
    def __init__(self, service: str, capacity: int = 1000) -> None:
        self.service = service
        self.buffer: deque[AdminLogRecorded] = deque(maxlen=capacity)
        self.dropped = 0

    def __call__(self, _: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        level = _LEVELS.get(str(event_dict.get("level", method_name)).lower())
        if level is None or event_dict.get("admin_log") is False:
            return event_dict
        try:
            if len(self.buffer) == self.buffer.maxlen:
                self.dropped += 1
            self.buffer.append(self._record(level, event_dict))
        except Exception:  # noqa: S110 — a log line that cannot be copied is still printed
            pass
        return event_dict

    def _record(self, level: LogLevel, event_dict: MutableMapping[str, Any]) -> AdminLogRecorded:
        service = str(event_dict.get("service") or self.service)
        metadata = {k: _safe(k, v) for k, v in event_dict.items() if k not in _SKIP_KEYS}
        session = event_dict.get("session_id")
        return AdminLogRecorded(
            level=level, category=_CATEGORIES.get(service, "system"), message=str(event_dict.get("event", ""))[:4000],
            session_id=str(session)[:200] if session else None, service=service[:50], metadata=metadata,
        )

    def drain(self) -> list[AdminLogRecorded]:
        items = list(self.buffer)
        self.buffer.clear()
        return items

    def install(self) -> None:
        """Insert this processor just before the renderer of the current structlog configuration."""
        processors = list(structlog.get_config()["processors"])
        if self in processors:
            return
        processors.insert(max(len(processors) - 1, 0), self)
        structlog.configure(processors=processors)

    def uninstall(self) -> None:
        processors = [p for p in structlog.get_config()["processors"] if p is not self]
        structlog.configure(processors=processors)


async def flush(forwarder: AdminLogForwarder, ctx: HandlerContext) -> int:
    records = forwarder.drain()
    if not records:
        return 0
    async with ctx.pool.acquire() as conn, conn.transaction():
        for record in records:
            await add_event(conn, record, source=forwarder.service, session_id=record.session_id)
    return len(records)


def install_admin_log_forwarder(svc: ServiceApp, interval_s: float = 1.0) -> AdminLogForwarder:
    forwarder = AdminLogForwarder(svc.name)

    @svc.on_startup
    async def _start(ctx: HandlerContext) -> None:
        forwarder.install()

    @svc.periodic(interval_s)
    async def _flush_admin_logs(ctx: HandlerContext) -> None:
        await flush(forwarder, ctx)

    @svc.on_shutdown
    async def _stop(ctx: HandlerContext) -> None:
        forwarder.uninstall()
        await flush(forwarder, ctx)

    return forwarder
