"""`comptoir up`: the gateway and every service in one process, for development and demos.

Start-up order: database (embedded when DATABASE_URL is unset) → migrations → demo knowledge base and
company facts when empty → each service (`services.<name>.app:svc`) → the HTTP gateway. SIGINT or
SIGTERM stops the HTTP server first (no new turns), then the services in reverse order.
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from typing import Any

import asyncpg

from comptoir.registry import SERVICE_NAMES, Progress, load_services
from libs.common.db import connect, create_pool, describe_dsn, resolve_dsn
from libs.common.local_broker import broker_for_up
from libs.common.migrate import migrate
from libs.common.serving import http_server, serve_settled, stop_on_signals
from libs.common.serving import say as _say
from libs.common.settings import Settings
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings

# all services share one pool in this mode: room for each one's consumers plus the HTTP edge
SHARED_POOL_SIZE = 40


def say(line: str) -> None:
    _say(line, "comptoir up")


async def prepare_database(settings: Settings, progress: Progress = say) -> asyncpg.Pool:
    dsn = resolve_dsn(settings)
    where = "embedded Postgres in " + str(settings.data_dir) if settings.database_url is None else describe_dsn(dsn)
    progress(f"database: {where}")
    conn = await connect(settings, dsn)
    try:
        applied = await migrate(conn, progress=lambda m: progress(f"applying migration {m.name}"))
    finally:
        await conn.close()
    progress(f"{len(applied)} migration(s) applied" if applied else "database schema is up to date")
    return await create_pool(settings, dsn, max_size=max(settings.db_pool_max, SHARED_POOL_SIZE))


async def seed_demo(pool: asyncpg.Pool, settings: Settings, progress: Progress = say) -> None:
    """Demo knowledge base (rag's tables) and shop facts and prompt (the gateway's), each only when empty."""
    rag_demo = _optional("services.rag.demo", progress)
    if rag_demo is not None:
        progress("demo knowledge base: loading (first run embeds the documents) …")
        chunks = await rag_demo.load_demo(pool, settings)
        progress(f"demo knowledge base: {chunks} chunks loaded" if chunks else
                 "demo knowledge base: already present, left as is")
    shop_demo = _optional("services.gateway.demo_facts", progress)
    if shop_demo is not None:
        seeded = await shop_demo.seed_demo(pool)
        progress("demo shop facts: loaded" if seeded else "demo shop facts: already present, left as is")


def _optional(module_name: str, progress: Progress) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not module_name.startswith(exc.name or "-"):
            raise
        progress(f"warning: {module_name} not available; no demo data from it")
        return None


@dataclass
class UpOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    services: tuple[str, ...] = SERVICE_NAMES
    demo: bool = True


def with_public_url(settings: Settings, options: UpOptions) -> Settings:
    """Links (quote PDFs, e-mails, the console) point at this gateway unless COMPTOIR_PUBLIC_URL names
    another address."""
    if settings.public_url:
        return settings
    host = "127.0.0.1" if options.host in ("0.0.0.0", "::", "") else options.host  # noqa: S104 - a check, not a bind
    return settings.model_copy(update={"public_url": f"http://{host}:{options.port}"})


async def up(settings: Settings, options: UpOptions, progress: Progress = say) -> int:
    """The broker first (a private node when none runs locally, libs.common.local_broker), then the rest."""
    settings = with_public_url(settings, options)
    GatewaySettings(host=options.host, port=options.port).check_for(settings)  # fail before any work
    async with broker_for_up(settings, progress):
        return await _up_with_broker(settings, options, progress)


async def _up_with_broker(settings: Settings, options: UpOptions, progress: Progress) -> int:
    config = GatewaySettings(host=options.host, port=options.port).check_for(settings)
    apps = load_services(options.services, progress)
    pool = await prepare_database(settings, progress)
    try:
        if options.demo:
            await seed_demo(pool, settings, progress)
        async with contextlib.AsyncExitStack() as stack:
            for index, svc in enumerate(apps):
                svc.run_relay = index == 0  # one outbox relay per process is enough
                progress(f"starting {svc.name} …")
                await stack.enter_async_context(svc.running(settings, pool))
            app = create_app(settings, config, pool=pool, run_relay=not apps)
            server = http_server(app, options.host, options.port)
            stop_on_signals(server, progress)
            progress(f"gateway listening on http://{options.host}:{options.port}  "
                     "(demo: /  API docs: /docs  health: /readyz)")
            await serve_settled(server)
            progress("gateway stopped; stopping services …")
    finally:
        await pool.close()
    progress("stopped")
    return 0
