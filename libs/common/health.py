"""A worker's small HTTP port: `/healthz` (the process answers), `/readyz` (broker connected and
database reachable), `/metrics` (the process's Prometheus registry, `libs.common.metrics`).

Off unless `COMPTOIR_HEALTH_PORT` is set (Kubernetes sets it for every worker, see deploy/k8s);
`comptoir up` never starts it (the gateway serves the same three paths on its own port). The server
starts before the service, so a slow start-up (loading a model) is alive but not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from libs.common import metrics, readiness
from libs.common.logging import get_logger
from libs.common.settings import Settings

log = get_logger(__name__)
Check = Callable[[], Awaitable[None]]  # raises when the dependency is not usable
CHECK_TIMEOUT_S = 2.0


class Probe:
    """What `/readyz` checks: nothing until `watch` hands it the running service's checks."""

    def __init__(self) -> None:
        self.checks: Mapping[str, Check] = {}
        self.ready = False

    def watch(self, checks: Mapping[str, Check]) -> None:
        self.checks = dict(checks)
        self.ready = True

    def stopping(self) -> None:
        self.ready = False

    async def results(self) -> dict[str, str]:
        if not self.ready:
            return {"service": "starting or stopping"}
        names = list(self.checks)
        outcomes = await asyncio.gather(*(_run(self.checks[name]) for name in names))
        return dict(zip(names, outcomes, strict=True))


async def _run(check: Check) -> str:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return f"error: no answer within {CHECK_TIMEOUT_S:g}s"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def service_checks(pool: Any) -> dict[str, Check]:
    """Readiness of a service: its database pool answers, and every broker-facing part of the
    process (consumers, RPC reply route: `libs.common.readiness`) is connected."""

    async def database() -> None:
        await pool.fetchval("SELECT 1")

    async def broker() -> None:
        if not readiness.broker_ready():
            raise ConnectionError("broker connection closed or being restored")

    return {"database": database, "broker": broker}


def build_app(probe: Probe) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        checks = await probe.results()
        ready = probe.ready and all(value == "ok" for value in checks.values())
        return web.json_response({"status": "ready" if ready else "unavailable", "checks": checks},
                                 status=200 if ready else 503)

    async def prometheus(_: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = metrics.CONTENT_TYPE
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", prometheus)
    return app


@contextlib.asynccontextmanager
async def serving(settings: Settings, host: str | None = None,
                  port: int | None = None) -> AsyncIterator[tuple[Probe, int | None]]:
    """Serve the three paths for the duration of the block, on `port` (default COMPTOIR_HEALTH_PORT;
    None: not served). Yields the probe and the port actually bound (0 picks a free one)."""
    probe = Probe()
    port = settings.health_port if port is None else port
    if port is None:
        yield probe, None
        return
    runner = web.AppRunner(build_app(probe), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host or settings.health_host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("health_port_listening", host=host or settings.health_host, port=bound)
    try:
        yield probe, bound
    finally:
        probe.stopping()
        await runner.cleanup()
