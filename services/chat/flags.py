"""Runtime flags (app_runtime_state) applied live: LISTEN for changes, poll as a safety net.

A change is seen at once through `NOTIFY comptoir_runtime_flags` (trigger of migration 029) and at
the latest after one poll interval (0.5 s by default) if the notification is lost or the trigger is
absent, so a flag takes effect within a second without a restart. app_runtime_state is the one
source of truth for these flags (app_admin_config.runtime_flags is not read).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import asyncpg

from libs.common.db import connect
from libs.common.logging import get_logger
from libs.common.settings import Settings
from services.chat import repo

log = get_logger(__name__)
CHANNEL = "comptoir_runtime_flags"


def as_bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "on", "yes")
    if isinstance(value, dict) and "enabled" in value:
        return as_bool(value["enabled"], default)
    return default


@dataclass(frozen=True)
class RuntimeFlags:
    kill_switch: bool = False
    topic_lock: bool = True
    conversation_guard: bool = True
    role_lock: bool = True

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> RuntimeFlags:
        return cls(
            kill_switch=as_bool(values.get("v3KillSwitch"), False),
            topic_lock=as_bool(values.get("topicLockEnabled"), True),
            conversation_guard=as_bool(values.get("conversationGuardEnabled"), True),
            role_lock=as_bool(values.get("roleLockEnabled"), True),
        )


class FlagWatcher:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, poll_s: float = 0.5) -> None:
        self.settings = settings
        self.pool = pool
        self.poll_s = poll_s
        self.current = RuntimeFlags()
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._refreshes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.refresh()
        try:
            self._listener = await connect(self.settings)
            await self._listener.add_listener(CHANNEL, self._notified)
        except Exception as exc:  # polling still applies changes
            log.warning("flags_listen_unavailable", error=str(exc))
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()

    async def refresh(self) -> RuntimeFlags:
        async with self.pool.acquire() as conn:
            flags = RuntimeFlags.from_values(await repo.flags(conn))
        if flags != self.current:
            log.info("runtime_flags_changed", flags=flags.__dict__)
        self.current = flags
        return flags

    def _notified(self, *_: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._safe_refresh())
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    async def _safe_refresh(self) -> None:
        try:
            await self.refresh()
        except Exception as exc:
            log.warning("flags_refresh_failed", error=str(exc))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            await self._safe_refresh()
