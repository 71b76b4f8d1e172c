"""Gateway fixtures (package scope: torn down when this folder is done): the real app (lifespan
included) in front of the real security, rag and chat services, on a database and broker names of its
own (so other suites' stand-in services on the shared names never answer our requests). Only the LLM is
a local fake server speaking the OpenAI protocol.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from libs.common.llm import LLMSettings
from libs.common.service import HandlerContext
from libs.common.settings import Settings
from libs.webhooks import WebhookSettings
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.gateway.deps import Gateway
from tests.conftest import RUN_ID, DatabaseFactory, own_database, small_pool
from tests.fakes.llm_server import FakeLLMServer

ADMIN_TOKEN = "test-admin-token-" + "x" * 8
STRIPE_SECRET = "whsec_test_gateway"
WIX_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
WIX_PUBLIC_PEM = WIX_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
SESSION_LIMIT = 6  # per session and minute, small so the 429 path is cheap to reach
LLM_TEXT = "Nous livrons en 2 à 4 jours ouvrés, offert dès 80 € d'achat [1]."


def random_ip() -> str:
    return "10." + ".".join(str(b) for b in uuid.uuid4().bytes[:3])


def gateway_config(**overrides: object) -> GatewaySettings:
    values: dict[str, object] = {"admin_token": ADMIN_TOKEN, "max_body_bytes": 4096,
                                 "max_message_chars": 500, "security_timeout_s": 5.0}
    values.update(overrides)
    return GatewaySettings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="package")
async def gw_settings(db_factory: DatabaseFactory, amqp_url: str, data_dir: Path) -> AsyncIterator[Settings]:
    async with own_database(db_factory, "gateway", amqp_url, data_dir, f"t{RUN_ID}gw.",
                            clean_broker=True) as settings:
        yield settings


@pytest.fixture(scope="package")
async def gw_pool(gw_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    async with small_pool(gw_settings, 16) as pool:
        yield pool


@pytest.fixture(scope="package")
async def fake_llm() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(default_text=LLM_TEXT) as fake:
        yield fake


def _security_deps() -> object:
    from services.security.app import build_deps
    from services.security.config import Limit, RateLimits, SecuritySettings

    limits = RateLimits(session=Limit(max=SESSION_LIMIT, window_seconds=60, block_seconds=0))
    return build_deps(SecuritySettings(rate_limits=limits))


@pytest.fixture(scope="package")
async def backend(gw_settings: Settings, gw_pool: asyncpg.Pool,
                  fake_llm: FakeLLMServer) -> AsyncIterator[dict[str, HandlerContext]]:
    """The real security, rag and chat services, with the demo knowledge base and shop facts."""
    from services.chat.app import svc as chat_svc
    from services.gateway.demo_facts import seed_demo
    from services.rag.app import svc as rag_svc
    from services.rag.demo import load_demo
    from services.security.app import svc as security_svc

    llm = LLMSettings(base_url=fake_llm.base_url, api_key="sk-test", model="fake",
                      timeout_s=2.0, max_retries=0)
    async with contextlib.AsyncExitStack() as stack:
        contexts = {
            "security": await stack.enter_async_context(
                security_svc.running(gw_settings, gw_pool, {"security": _security_deps()})),
        }
        contexts["rag"], runtime = await stack.enter_async_context(rag_svc.started(gw_settings, gw_pool, {}))
        contexts["chat"] = await stack.enter_async_context(
            chat_svc.running(gw_settings, gw_pool, {"llm_settings": llm}))
        await load_demo(gw_pool, gw_settings, runtime=runtime)
        await seed_demo(gw_pool)
        yield contexts


@pytest.fixture(scope="package")
async def gateway_app(gw_settings: Settings, gw_pool: asyncpg.Pool,
                      backend: dict[str, HandlerContext]) -> AsyncIterator[FastAPI]:
    webhooks = WebhookSettings(stripe_webhook_secret=STRIPE_SECRET, wix_public_key=WIX_PUBLIC_PEM)
    app = create_app(gw_settings, gateway_config(), pool=gw_pool, webhooks=webhooks, run_relay=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="package")
def gateway(gateway_app: FastAPI) -> Gateway:
    gw: Gateway = gateway_app.state.gateway
    return gw


@pytest.fixture
async def client(gateway_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # one address per test: rate limits count per IP and all tests share the security service
    transport = httpx.ASGITransport(app=gateway_app, client=(random_ip(), 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        yield http
