"""Live configuration: runtime flags through the platform's one watcher (libs/common/flags.py: NOTIFY,
polling as a safety net) and rate limits (app_admin_config) cached for a few seconds, so an
operator's change applies without a restart and without a query per message."""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg

from libs.common.flags import FlagWatcher, RuntimeFlags, read_flags
from libs.common.logging import get_logger
from libs.guard.screening import GuardFlags
from services.security import repo
from services.security.config import RateLimits

log = get_logger(__name__)


@dataclass
class _Snapshot:
    flags: GuardFlags
    limits: RateLimits
    loaded_at: float


def guard_flags(flags: RuntimeFlags) -> GuardFlags:
    return GuardFlags(conversation_guard=flags.conversation_guard, role_lock=flags.role_lock)


class LiveConfig:
    def __init__(self, defaults: RateLimits, ttl_s: float, flags: FlagWatcher | None = None) -> None:
        self.defaults = defaults
        self.ttl_s = ttl_s
        self.flags = flags
        self._snapshot: _Snapshot | None = None

    def watch(self, flags: FlagWatcher) -> None:
        """Read flags from this (started) watcher from now on."""
        self.flags = flags

    async def stop(self) -> None:
        if self.flags is not None:
            await self.flags.stop()

    async def get(self, pool: asyncpg.Pool) -> _Snapshot:
        now = time.monotonic()
        if self._snapshot is None or now - self._snapshot.loaded_at >= self.ttl_s:
            self._snapshot = await self._load(pool, now)
        if self.flags is not None:  # the watcher is always current: no cache in between
            return _Snapshot(guard_flags(self.flags.current), self._snapshot.limits, self._snapshot.loaded_at)
        return self._snapshot

    async def _load(self, pool: asyncpg.Pool, now: float) -> _Snapshot:
        async with pool.acquire() as conn:
            flags = self.flags.current if self.flags is not None else await read_flags(conn)
            override = await repo.admin_config(conn, "rate_limits")
        try:
            limits = self.defaults.merged(override)
        except ValueError as exc:
            # a bad admin edit must not stop the guard: keep the defaults and say why
            log.warning("rate_limits_config_invalid", error=str(exc)[:300])
            limits = self.defaults
        return _Snapshot(guard_flags(flags), limits, now)

    def invalidate(self) -> None:
        self._snapshot = None
