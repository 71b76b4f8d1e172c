"""Health, readiness, metrics, OpenAPI, widget assets and the demo page."""

from __future__ import annotations

import httpx
import pytest

from libs.common.errors import ConfigurationError
from libs.common.settings import Settings
from services.gateway.config import GatewaySettings
from services.gateway.deps import Gateway


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok", "files": "ok"}}


async def test_readiness_says_when_the_file_store_is_away(client: httpx.AsyncClient, gateway: Gateway,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from libs.storage import StorageSettings
    from libs.storage.s3 import S3Storage
    from tests.fakes.rabbit_node import free_port

    # an S3 store configured at an address where nothing listens: the bucket cannot be reached
    cfg = StorageSettings(_env_file=None, storage="s3", s3_bucket="comptoir-files",
                          s3_endpoint_url=f"http://127.0.0.1:{free_port()}", s3_access_key_id="key",
                          s3_secret_access_key="secret", s3_max_attempts=1, s3_timeout_s=1.0)
    monkeypatch.setattr(gateway, "files", S3Storage(cfg, "gateway"))
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"] == checks["broker"] == "ok" and checks["files"].startswith("error: ")


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    assert 'comptoir_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "comptoir_http_request_seconds_bucket" in text
    assert "# TYPE comptoir_rpc_requests_total counter" in text  # the platform series (libs.common.metrics)


async def test_openapi_documents_the_chat_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/v1/chat/messages" in spec["paths"]
    assert "/v1/chat/messages/stream" in spec["paths"]
    body = spec["paths"]["/v1/chat/messages"]["post"]["requestBody"]["content"]["application/json"]
    assert "message" in body["schema"]["properties"]
    assert (await client.get("/docs")).status_code == 200


async def test_widget_and_demo_are_served(client: httpx.AsyncClient) -> None:
    widget = await client.get("/widget.js")
    assert widget.status_code == 200
    assert widget.headers["content-type"].startswith("application/javascript")
    assert "/v1/chat/messages/stream" in widget.text
    demo = await client.get("/")
    assert '<script src="/widget.js" data-locale="fr"' in demo.text
    english = await client.get("/demo", params={"lang": "en"})
    assert 'data-locale="en"' in english.text


async def test_cors_preflight_allows_the_session_header(client: httpx.AsyncClient) -> None:
    response = await client.options("/v1/chat/messages/stream", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-session-token"})
    assert response.status_code == 200
    assert "x-session-token" in response.headers["access-control-allow-headers"].lower()


def test_production_refuses_the_default_admin_token(tmp_path) -> None:
    prod = Settings(COMPTOIR_ENV="production", DATABASE_URL="postgresql://u:p@db/x",
                    COMPTOIR_SECRET_KEY="s" * 32, AMQP_URL="amqp://app:pw@mq/", COMPTOIR_DATA_DIR=str(tmp_path))
    with pytest.raises(ConfigurationError):
        GatewaySettings().check_for(prod)
    assert GatewaySettings(admin_token="a-real-token").check_for(prod).admin_token


def test_up_loads_every_built_service_and_skips_missing_ones() -> None:
    from comptoir.registry import load_services

    lines: list[str] = []
    apps = load_services(("security", "rag", "chat", "billing", "nosuchservice"), lines.append)
    assert [svc.name for svc in apps] == ["security", "rag", "chat", "billing"]
    assert lines == ["warning: service nosuchservice is not built yet (no services.nosuchservice.app); skipped"]


def test_cli_registers_up_and_serve() -> None:
    from comptoir.cli import build_parser

    parser = build_parser()
    up = parser.parse_args(["up", "--port", "8123", "--host", "0.0.0.0"])
    assert (up.port, up.host, up.no_demo) == (8123, "0.0.0.0", False)
    assert parser.parse_args(["serve", "chat"]).service == "chat"
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "nosuchservice"])


async def test_python_m_service_runs_it_as_comptoir_serve_does(settings: Settings) -> None:
    """`python -m services.security` is `comptoir serve security`: it answers, and stops cleanly on SIGINT."""
    import asyncio
    import os
    import signal
    import sys

    from libs.common.events.security import ScreenMessage, ScreenVerdict
    from libs.common.rpc import RpcClient
    from libs.common.settings import REPO_ROOT
    from tests.conftest import eventually, with_fresh_prefix

    mine = with_fresh_prefix(settings)
    assert mine.database_url is not None
    env = {**os.environ, "COMPTOIR_ENV": "test", "DATABASE_URL": mine.database_url.get_secret_value(),
           "AMQP_URL": mine.amqp_url.get_secret_value(), "COMPTOIR_DATA_DIR": str(mine.data_dir),
           "COMPTOIR_QUEUE_PREFIX": mine.queue_prefix, "COMPTOIR_EVENTS_EXCHANGE": mine.events_exchange}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.security", cwd=REPO_ROOT,
                                                   env=env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    try:
        async with RpcClient(mine, source="test") as rpc:
            async def answered() -> ScreenVerdict | None:
                try:
                    return await rpc.request(ScreenMessage.TYPE, ScreenMessage(text="Bonjour", rate_limit=False),
                                             ScreenVerdict, timeout=2)
                except Exception:
                    return None

            verdict = await eventually(answered, timeout=60)
        assert verdict.verdict == "allow"
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0
        assert b"security running" in output and b"security stopped" in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
