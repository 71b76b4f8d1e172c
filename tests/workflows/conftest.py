"""Workflows fixtures: a migrated database of the package's own, and engines built on it.

Engine tests drive an `Executor` by hand (`pump` then `drain`), so each test decides when work is
claimed and no background loop races it; the service tests start the real `ServiceApp`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from libs.common.events.workflows import WorkflowDefinition
from libs.common.llm import LLMSettings
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from libs.mail import MailSettings
from services.workflows import repo
from services.workflows.clock import Clock
from services.workflows.config import WorkflowsSettings
from services.workflows.deps import Workflows, build_env
from services.workflows.engine import Executor
from services.workflows.runner import Fault
from services.workflows.steps import builtin_registry
from tests.conftest import RUN_ID, DatabaseFactory, delete_broker_names, own_database, small_pool
from tests.fakes.smtp_server import FakeSmtpServer

SECRETS = {"whatsapp_token": "wa-test-token", "drive_token": "drive-test-token", "webhook_secret": "whsec-wf"}


@pytest.fixture(scope="package")
async def wf_settings(db_factory: DatabaseFactory, amqp_url: str, data_dir: Path) -> AsyncIterator[Settings]:
    prefix = f"t{RUN_ID}wf."
    async with own_database(db_factory, "workflows", amqp_url, data_dir, prefix) as settings:
        yield settings
    await delete_broker_names(amqp_url, prefix)


@pytest.fixture(scope="package")
async def wf_pool(wf_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    async with small_pool(wf_settings, 12) as pool:
        yield pool


@pytest.fixture
def smtp() -> Any:
    with FakeSmtpServer() as server:
        yield server


def wf_config(**overrides: Any) -> WorkflowsSettings:
    values: dict[str, Any] = {"secrets": SECRETS, "lease_s": 1.0, "poll_interval_s": 0.2, "cron_interval_s": 0.2,
                              "http_allowed_hosts": ["127.0.0.1"], "http_timeout_s": 3.0, "facts_cache_s": 0}
    return WorkflowsSettings(_env_file=None, **(values | overrides))


WfFactory = Callable[..., Workflows]


@pytest.fixture
async def make_wf(wf_settings: Settings, wf_pool: asyncpg.Pool) -> AsyncIterator[WfFactory]:
    made: list[Workflows] = []

    def make(*, replica: str | None = None, mail: MailSettings | None = None, clock: Clock | None = None,
             rpc: RpcClient | None = None, llm: LLMSettings | None = None, **cfg: Any) -> Workflows:
        env = build_env(wf_settings, wf_pool, rpc or RpcClient(wf_settings, source="workflows"),
                        cfg=wf_config(**cfg), mail=mail or MailSettings(_env_file=None, host=None),
                        llm=llm or LLMSettings(_env_file=None, base_url=None), clock=clock)
        wf = Workflows(pool=wf_pool, env=env, registry=builtin_registry(), replica=replica or uuid.uuid4().hex[:8])
        made.append(wf)
        return wf

    yield make
    for wf in made:
        await wf.close()


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def add_workflow(pool: asyncpg.Pool, wf: Workflows, **fields: Any) -> asyncpg.Record:
    fields.setdefault("name", unique("wf"))
    defn = WorkflowDefinition.model_validate(fields)
    async with pool.acquire() as conn:
        row = await repo.insert_workflow(conn, defn, wf.env.clock.now())
    assert row is not None
    return row


async def start_run(pool: asyncpg.Pool, wf: Workflows, workflow: asyncpg.Record, data: dict[str, Any] | None = None,
                    ref: str | None = None) -> str:
    ref = ref or uuid.uuid4().hex
    event = {"type": "test.event", "id": ref, "data": data or {}}
    async with pool.acquire() as conn:
        run_id = await repo.insert_run(conn, workflow, "manual", ref, {"event": event},
                                       wf.env.clock.now(), wf.env.clock.now())
    assert run_id is not None
    return run_id


async def settle(executor: Executor, rounds: int = 50) -> None:
    """Claim and drive until nothing is due (runs waiting on a future time stay waiting)."""
    for _ in range(rounds):
        claimed = await executor.pump()
        await executor.drain()
        if not claimed:
            return


async def run_row(pool: asyncpg.Pool, run_id: str) -> asyncpg.Record:
    row = await pool.fetchrow(repo.SELECT_RUN, run_id)
    assert row is not None
    return row


async def attempts(pool: asyncpg.Pool, run_id: str) -> list[asyncpg.Record]:
    return list(await pool.fetch(repo.STEP_RUNS, run_id))


@contextlib.asynccontextmanager
async def executor(wf: Workflows, settings: Settings, fault: Fault | None = None) -> AsyncIterator[Executor]:
    ex = Executor(wf, settings, fault=fault)
    try:
        yield ex
    finally:
        await ex.stop()
