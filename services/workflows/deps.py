"""The workflows service's dependencies, built once at start-up (and replaced by tests)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import asyncpg
import httpx

from libs.common.llm import LLMClient, LLMSettings
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from libs.mail import MailSettings
from libs.storage import FileStorage, open_storage
from services.workflows.clock import Clock, SystemClock
from services.workflows.config import WorkflowsSettings
from services.workflows.steps.base import StepRegistry


class SecretMissing(KeyError):
    pass


@dataclass
class StepEnv:
    """What steps use to act: settings, clients, the storage port, the clock."""

    cfg: WorkflowsSettings
    settings: Settings
    mail: MailSettings
    http: httpx.AsyncClient
    rpc: RpcClient
    storage: FileStorage
    llm: LLMClient | None
    clock: Clock = field(default_factory=SystemClock)

    def secret(self, name: str) -> str:
        value = self.cfg.secrets.get(name)
        if value is None or not value.get_secret_value():
            raise SecretMissing(name)
        return value.get_secret_value()

    def has_secret(self, name: str) -> bool:
        value = self.cfg.secrets.get(name)
        return value is not None and bool(value.get_secret_value())


class Binder(Protocol):
    async def bind(self, types: Iterable[str | None]) -> None: ...


class _NoBinder:
    async def bind(self, types: Iterable[str | None]) -> None:
        return None


@dataclass
class Workflows:
    """Deps handed to every handler of the service."""

    pool: asyncpg.Pool
    env: StepEnv
    registry: StepRegistry
    replica: str  # this process's name in leases and tick claims
    bindings: Binder = field(default_factory=_NoBinder)

    @property
    def cfg(self) -> WorkflowsSettings:
        return self.env.cfg

    async def close(self) -> None:
        await self.env.http.aclose()
        if self.env.llm is not None:
            await self.env.llm.aclose()


def build_env(settings: Settings, pool: asyncpg.Pool, rpc: RpcClient, *, cfg: WorkflowsSettings | None = None,
              mail: MailSettings | None = None, llm: LLMSettings | None = None,
              clock: Clock | None = None) -> StepEnv:
    cfg = cfg or WorkflowsSettings()
    llm_settings = llm or LLMSettings()
    return StepEnv(cfg=cfg, settings=settings, mail=mail or MailSettings(),
                   http=httpx.AsyncClient(timeout=cfg.http_timeout_s, follow_redirects=False),
                   rpc=rpc, storage=open_storage(pool, "workflows"),
                   llm=LLMClient(llm_settings) if llm_settings.configured else None,
                   clock=clock or SystemClock())
