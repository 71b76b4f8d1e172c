"""Security fixtures: the real security service on a database and broker names of its own, so the
outbox relay that publishes its incidents is its own (another suite's relay would hold the lock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from libs.common.db import create_pool
from libs.common.rpc import RpcClient
from libs.common.service import HandlerContext
from libs.common.settings import Settings
from services.security.app import build_deps, svc
from services.security.config import Escalation, Limit, RateLimits, SecuritySettings
from tests.conftest import RUN_ID, DatabaseFactory, delete_broker_names, make_settings

SESSION_LIMIT = 5


@pytest.fixture(scope="session")
async def sec_settings(db_factory: DatabaseFactory, amqp_url: str, data_dir: Path) -> AsyncIterator[Settings]:
    dsn = await db_factory.create_migrated("security")
    prefix = f"t{RUN_ID}sec."
    yield make_settings(dsn, amqp_url, data_dir, prefix)
    await delete_broker_names(amqp_url, prefix)


@pytest.fixture(scope="session")
async def sec_pool(sec_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(sec_settings, min_size=2, max_size=70)
    yield pool
    await pool.close()


def security_settings() -> SecuritySettings:
    limits = RateLimits(
        session=Limit(max=SESSION_LIMIT, window_seconds=60, block_seconds=120),
        ip=Limit(max=1000, window_seconds=60),
        routes={"default": Limit(max=100_000, window_seconds=60)},
        escalation=Escalation(incidents=3, window_seconds=600, block_seconds=300),
    )
    return SecuritySettings(rate_limits=limits, config_ttl_s=0, secrets=["company-secret-value-42"])


@pytest.fixture(scope="session")
async def security(sec_settings: Settings, sec_pool: asyncpg.Pool) -> AsyncIterator[HandlerContext]:
    async with svc.running(sec_settings, sec_pool, {"security": build_deps(security_settings())}) as ctx:
        yield ctx


@pytest.fixture
async def rpc(sec_settings: Settings, security: HandlerContext) -> AsyncIterator[RpcClient]:
    async with RpcClient(sec_settings, source="test") as client:
        yield client
