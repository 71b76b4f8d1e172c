"""Live configuration: runtime flags (app_runtime_state) and rate limits (app_admin_config), cached
for a few seconds so an operator's change applies without a restart and without a query per message."""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg

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


class LiveConfig:
    def __init__(self, defaults: RateLimits, ttl_s: float) -> None:
        self.defaults = defaults
        self.ttl_s = ttl_s
        self._snapshot: _Snapshot | None = None

    async def get(self, pool: asyncpg.Pool) -> _Snapshot:
        now = time.monotonic()
        if self._snapshot is None or now - self._snapshot.loaded_at >= self.ttl_s:
            self._snapshot = await self._load(pool, now)
        return self._snapshot

    async def _load(self, pool: asyncpg.Pool, now: float) -> _Snapshot:
        async with pool.acquire() as conn:
            flags = await repo.runtime_flags(conn)
            override = await repo.admin_config(conn, "rate_limits")
        try:
            limits = self.defaults.merged(override)
        except ValueError as exc:
            # a bad admin edit must not stop the guard: keep the defaults and say why
            log.warning("rate_limits_config_invalid", error=str(exc)[:300])
            limits = self.defaults
        guard = GuardFlags(conversation_guard=_on(flags.get("conversationGuardEnabled")),
                           role_lock=_on(flags.get("roleLockEnabled")))
        return _Snapshot(guard, limits, now)

    def invalidate(self) -> None:
        self._snapshot = None


def _on(value: object) -> bool:
    """A missing flag keeps the guard on: failing open would disarm it by accident."""
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "off", "no")
    return value is not False
