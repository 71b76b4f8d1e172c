"""Resilience fixtures: a private RabbitMQ node (never the shared one on 5672) that tests stop and start,
and the platform as real processes on it (`python -m services.<name>`, as `comptoir serve` runs them)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from comptoir.registry import SERVICE_NAMES
from libs.common.settings import Settings
from tests.conftest import RUN_ID, DatabaseFactory, own_database, small_pool
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.rabbit_node import RabbitNode, free_port, rabbitmq_available
from tests.resilience.stack import Stack

LLM_TEXT = "Nous livrons en 2 à 4 jours ouvrés, offert dès 80 € d'achat [1]."


@pytest.fixture(scope="package")
def rabbit_node() -> Iterator[RabbitNode]:
    if not rabbitmq_available():
        pytest.fail("rabbitmq-server is not installed (scripts/services.sh installs it)")
    node = RabbitNode("resilience")
    node.start()
    try:
        yield node
    finally:
        node.destroy()


@pytest.fixture(scope="package")
async def res_settings(db_factory: DatabaseFactory, rabbit_node: RabbitNode, data_dir: Path
                       ) -> AsyncIterator[Settings]:
    async with own_database(db_factory, "resilience", rabbit_node.amqp_url, data_dir, f"t{RUN_ID}res.",
                            COMPTOIR_RPC_TIMEOUT_S=20.0) as settings:
        yield settings


@pytest.fixture(scope="package")
async def res_pool(res_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    async with small_pool(res_settings, 8) as pool:
        yield pool


@pytest.fixture(scope="package")
async def res_llm() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(default_text=LLM_TEXT) as fake:
        yield fake


@pytest.fixture(scope="package")
async def stack(res_settings: Settings, res_pool: asyncpg.Pool, res_llm: FakeLLMServer,
                rabbit_node: RabbitNode) -> AsyncIterator[Stack]:
    """Every service as a process (comptoir/registry.py), and the gateway, on the private node."""
    from services.gateway.demo_facts import seed_demo
    from services.rag.demo import load_demo

    await load_demo(res_pool, res_settings)
    await seed_demo(res_pool)
    log_dir = Path(tempfile.mkdtemp(prefix="comptoir-resilience-logs-"))
    platform = Stack(res_settings, log_dir, res_llm.base_url, gateway_port=free_port())
    try:
        for name in SERVICE_NAMES:
            platform.spawn(name)
        platform.spawn("gateway")
        for name in SERVICE_NAMES:
            await platform.wait_consumers(rabbit_node.list_queues, name)
        await platform.wait_gateway()
        yield platform
    finally:
        await platform.stop_all()
        shutil.rmtree(log_dir, ignore_errors=True)  # a failing test showed the tails it needed


