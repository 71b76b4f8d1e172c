"""A worker's health port: alive before it is ready, ready once its broker and database answer."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from libs.common.health import Check, service_checks, serving
from libs.common.service import ServiceApp
from libs.common.settings import Settings
from tests.conftest import eventually, with_fresh_prefix


async def _get(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        return await client.get(path)


async def test_not_served_without_a_port(settings: Settings) -> None:
    assert settings.health_port is None
    async with serving(settings) as (_, port):
        assert port is None


async def test_alive_then_ready_then_not(settings: Settings, pool: asyncpg.Pool) -> None:
    msettings = with_fresh_prefix(settings)
    svc = ServiceApp("healthsvc")
    async with serving(msettings, port=0) as (probe, port):
        assert port
        assert (await _get(port, "/healthz")).json() == {"status": "ok"}
        starting = await _get(port, "/readyz")
        assert starting.status_code == 503
        async with svc.running(msettings, pool):
            probe.watch(service_checks(pool))
            ready = await _get(port, "/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
            metrics = await _get(port, "/metrics")
            assert metrics.status_code == 200
            assert metrics.headers["content-type"].startswith("text/plain")
            assert "# TYPE comptoir_messages_consumed_total counter" in metrics.text
            assert "comptoir_handler_seconds" in metrics.text
        # the service stopped: its broker parts are gone, so the broker check fails
        gone = await _get(port, "/readyz")
        assert gone.status_code == 503


async def test_a_failing_dependency_makes_it_unready(settings: Settings) -> None:
    async def broken() -> None:
        raise OSError("connection refused")

    async def fine() -> None:
        return None

    checks: dict[str, Check] = {"database": broken, "broker": fine}
    async with serving(settings, port=0) as (probe, port):
        assert port
        probe.watch(checks)
        response = await _get(port, "/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable",
                               "checks": {"database": "error: OSError", "broker": "ok"}}


def test_port_setting_is_validated(settings: Settings) -> None:
    with pytest.raises(ValueError):
        Settings(COMPTOIR_HEALTH_PORT=70000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_comptoir_serve_answers_its_probes(settings: Settings, tmp_path: Path) -> None:
    """`comptoir serve billing` with COMPTOIR_HEALTH_PORT set: ready once started, gone on SIGTERM."""
    msettings = with_fresh_prefix(settings)
    port = _free_port()
    assert msettings.database_url is not None
    env = {**os.environ, "COMPTOIR_ENV": "test", "DATABASE_URL": msettings.database_url.get_secret_value(),
           "AMQP_URL": msettings.amqp_url.get_secret_value(), "COMPTOIR_DATA_DIR": str(msettings.data_dir),
           "COMPTOIR_QUEUE_PREFIX": msettings.queue_prefix, "COMPTOIR_EVENTS_EXCHANGE": msettings.events_exchange,
           "COMPTOIR_HEALTH_PORT": str(port), "LOG_LEVEL": "WARNING"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would stall the process
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "comptoir", "serve", "billing", env=env, stdout=out, stderr=out)
    try:
        async def ready() -> httpx.Response | None:
            try:
                response = await _get(port, "/readyz")
            except httpx.TransportError:
                return None
            return response if response.status_code == 200 else None

        response = await eventually(ready, timeout=90)
        assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
        assert "comptoir_outbox_lag_seconds" in (await _get(port, "/metrics")).text
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    output = log.read_text()
    assert process.returncode == 0, output
    assert f"/healthz /readyz /metrics on port {port}" in output
    with pytest.raises(httpx.TransportError):
        await _get(port, "/healthz")
