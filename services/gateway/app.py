"""The gateway's FastAPI app: the only HTTP edge (widget API, widget assets, admin, webhooks, ops).

Resources (DB pool, broker connection, RPC client, stream queue, outbox relay) are made in the
lifespan, never at import. `create_app()` is what uvicorn, `comptoir up` and the tests use.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.common import broker as topology
from libs.common.db import create_pool
from libs.common.logging import get_logger
from libs.common.outbox import OutboxRelay
from libs.common.rpc import RpcClient
from libs.common.settings import Settings, get_settings
from libs.storage import StorageSettings, open_storage
from libs.webhooks import WebhookSettings
from services.gateway import (
    api_docs,
    errors,
    idempotency,
    maintenance,
    routes_admin,
    routes_agents,
    routes_chat,
    routes_files,
    routes_ops,
    routes_social,
    routes_superchat,
    routes_webhooks,
    routes_workflows,
)
from services.gateway.config import GatewaySettings
from services.gateway.console import setup as console_setup
from services.gateway.console.live import LiveHub
from services.gateway.deps import Gateway
from services.gateway.metrics import GatewayMetrics
from services.gateway.openapi_errors import install as document_api_errors
from services.gateway.streams import StreamRouter

log = get_logger("gateway")
EXPOSED_HEADERS = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "Server-Timing",
                   idempotency.REPLAYED_HEADER]


class MetricsMiddleware:
    """Counts and times every request by route template (not raw path, to bound label cardinality)."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)


@contextlib.asynccontextmanager
async def _resources(app: FastAPI, settings: Settings, config: GatewaySettings, metrics: GatewayMetrics,
                     pool: asyncpg.Pool | None, run_relay: bool,
                     storage: StorageSettings, webhooks: WebhookSettings) -> AsyncIterator[None]:
    own_pool = pool is None
    pool = pool or await create_pool(settings)
    files = open_storage(pool, "gateway", storage)  # reads files (GET /v1/files/...), writes uploads/
    connection = await topology.connect(settings, name="gateway")
    rpc = RpcClient(settings, source="gateway", connection=connection)
    streams = StreamRouter(connection, settings.queue(f"gateway.stream.{uuid.uuid4().hex[:12]}"))
    relay: asyncio.Task[None] | None = None
    live = LiveHub(connection, settings, settings.queue(f"gateway.live.{uuid.uuid4().hex[:12]}"))
    try:
        await rpc.start()
        await streams.start()
        await live.start()
        if run_relay:  # webhooks write to the outbox; the gateway must not depend on another relay
            relay = asyncio.create_task(OutboxRelay(settings, pool).run())
        app.state.gateway = Gateway(settings=settings, config=config, pool=pool, rpc=rpc, streams=streams,
                                    connection=connection, metrics=metrics, files=files, webhooks=webhooks,
                                    secret=settings.secret())
        app.state.gateway.live = live  # the console's live events (services/gateway/console)
        log.info("gateway_ready", stream_queue=streams.queue_name)
        async with maintenance.serving(settings, pool):  # answers gateway.maintenance.prune (its own rows)
            yield
    finally:
        if relay is not None:
            relay.cancel()
            await asyncio.gather(relay, return_exceptions=True)
        await live.close()
        await streams.close()
        await rpc.close()
        await connection.close()
        await files.close()
        if own_pool:
            await pool.close()


def create_app(settings: Settings | None = None, config: GatewaySettings | None = None,
               pool: asyncpg.Pool | None = None, run_relay: bool = True,
               storage: StorageSettings | None = None, webhooks: WebhookSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    config = (config or GatewaySettings()).check_for(settings)
    metrics = GatewayMetrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _resources(app, settings, config, metrics, pool, run_relay, storage or StorageSettings(),
                              webhooks or WebhookSettings()):
            yield

    app = FastAPI(title="Comptoir gateway", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Chat API for the web widget, admin API, Stripe/Wix webhooks, health, metrics.")
    errors.install(app)
    console_setup.install(app)
    for router in (routes_chat.router, routes_admin.router, routes_webhooks.router, routes_files.router,
                   routes_ops.router, routes_superchat.router, routes_agents.router):
        app.include_router(router)
    app.include_router(routes_social.router)  # /v1/admin/social (the workflows service answers)
    app.include_router(routes_social.media_router)  # GET /v1/files/social/… (what the Graph API fetches)
    app.include_router(routes_workflows.router)  # /v1/admin/workflows (the workflows service answers)
    app.add_middleware(idempotency.IdempotencyMiddleware)  # inside CORS: a preflight never reaches it
    app.add_middleware(CORSMiddleware, allow_origins=config.cors_origins,
                       allow_methods=["GET", "POST", "PUT"],
                       allow_headers=["Content-Type", "Authorization", "X-Session-Token", idempotency.HEADER],
                       expose_headers=EXPOSED_HEADERS, max_age=600)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    idempotency.document(app)  # the Idempotency-Key header on the POSTs it applies to
    document_api_errors(app)  # every error a route answers, documented with its real body
    api_docs.install(app)  # /docs from the installed swagger-ui-bundle; the admin bearer scheme
    return app
