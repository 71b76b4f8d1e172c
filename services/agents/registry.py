"""The registry as the runner reads it at every step: agents, their tool assignments and the
`app_agent_config` defaults, reloaded at most every `AGENTS_REGISTRY_CACHE_S` (three queries saved
per step; a change to the registry reaches running agents within that time)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.agents import repo


@dataclass(frozen=True)
class Registry:
    agents: dict[str, asyncpg.Record]
    config: dict[str, Any]
    assignments: dict[str, dict[str, dict[str, Any]]]


class RegistryCache:
    def __init__(self, pool: asyncpg.Pool, ttl_s: float) -> None:
        self.pool, self.ttl_s = pool, ttl_s
        self._value: Registry | None = None
        self._loaded_at = 0.0

    async def get(self) -> Registry:
        if self._value is None or time.monotonic() - self._loaded_at > self.ttl_s:
            agents = {r["name"]: r for r in await self.pool.fetch(repo.SELECT_AGENTS)}
            self._value = Registry(agents, await repo.config(self.pool), await repo.assignments(self.pool))
            self._loaded_at = time.monotonic()
        return self._value
