"""Postgres stops and starts under traffic: no 500, the platform answers again on its own.

A private embedded server (not the suite's shared one), the real services in this process on the
shared broker under names of their own, the gateway app in front of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from libs.common.db import create_pool
from libs.common.embedded_pg import embedded_dsn, stop_embedded
from libs.common.llm import LLMSettings
from libs.common.migrate import migrate
from libs.common.settings import Settings
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from tests.conftest import RUN_ID, delete_broker_names, make_settings
from tests.fakes.llm_server import FakeLLMServer
from tests.resilience.stack import ADMIN_TOKEN, NO_LIMITS
from tests.resilience.traffic import Traffic, turn

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def private_pg() -> AsyncIterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="comptoir-pg-restart-"))
    dsn = await asyncio.to_thread(embedded_dsn, folder)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    try:
        yield folder
    finally:
        await asyncio.to_thread(stop_embedded, folder)
        shutil.rmtree(folder, ignore_errors=True)


async def test_postgres_restart_under_traffic(private_pg: Path, amqp_url: str, data_dir: Path,
                                              res_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.chat.app import svc as chat_svc
    from services.gateway.demo_facts import seed_demo
    from services.rag.app import svc as rag_svc
    from services.rag.demo import load_demo
    from services.security.app import svc as security_svc

    monkeypatch.setenv("SECURITY_RATE_LIMITS", NO_LIMITS)
    dsn = embedded_dsn(private_pg)
    prefix = f"t{RUN_ID}pg."
    settings: Settings = make_settings(dsn, amqp_url, data_dir, prefix)
    llm = LLMSettings(base_url=res_llm.base_url, api_key="sk-test", model="fake", timeout_s=5.0, max_retries=0)
    pool = await create_pool(settings, min_size=1, max_size=12)
    try:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(security_svc.running(settings, pool))
            await stack.enter_async_context(rag_svc.running(settings, pool))
            await stack.enter_async_context(chat_svc.running(settings, pool, {"llm_settings": llm}))
            await load_demo(pool, settings)
            await seed_demo(pool)
            app = create_app(settings, GatewaySettings(admin_token=ADMIN_TOKEN), pool=pool, run_relay=False)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 5555))
            traffic = Traffic("http://gateway.test", transport=transport)
            tasks = await traffic.run(visitors=4)
            try:
                await traffic.answered(8)
                await asyncio.to_thread(stop_embedded, private_pg)
                stopped = time.monotonic()
                async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
                    await asyncio.sleep(1.0)
                    assert (await http.get("/readyz")).status_code == 503
                    await asyncio.sleep(1.0)
                    assert await asyncio.to_thread(embedded_dsn, private_pg) == dsn
                    back = time.monotonic()
                    while (await turn(http, "Quels sont vos délais ?")).status != 200:
                        assert time.monotonic() - back < 10.0, "no turn answered within 10 s of Postgres' return"
                        await asyncio.sleep(0.2)
                    recovered = time.monotonic()
                    assert (await http.get("/readyz")).status_code == 200
                    await asyncio.sleep(1.5)
            finally:
                traffic.stop.set()
                await asyncio.gather(*tasks)
    finally:
        await pool.close()
        await delete_broker_names(amqp_url, prefix)
    assert {o.status for o in traffic.outcomes} <= {200, 503}, \
        [o for o in traffic.outcomes if o.status not in (200, 503)][:5]
    assert any(o.status == 503 for o in traffic.since(stopped)), "the outage was not seen"
    after = traffic.since(recovered + 0.5)
    assert after and all(o.status == 200 for o in after), [o for o in after if o.status != 200][:5]
