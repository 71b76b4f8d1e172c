"""The gateway's maintenance: it answers `gateway.maintenance.prune` like every service
(libs/common/maintenance.py), for its own table `app_idempotency_keys` (services/gateway/idempotency.py).

The gateway is a FastAPI app, not a `ServiceApp`; this small `ServiceApp` with only that request runs
inside each gateway process (`serving`, entered by the app's lifespan), so any replica answers the
daily `maintenance-gateway` workflow. Keys are kept `idempotency_keys` days (default 2: a client's
retries come within minutes, Stripe keeps its keys 24 hours).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from libs.common.db import Conn
from libs.common.maintenance import MaintenancePrune, deleted, prune_job, retention
from libs.common.service import HandlerContext, ServiceApp
from libs.common.settings import Settings
from services.gateway import idempotency

DEFAULT_KEY_RETENTION_DAYS = 2
svc: ServiceApp[None] = ServiceApp("gateway", run_relay=False)  # the gateway's own outbox relay runs apart


@prune_job(svc, "idempotency_keys")
async def prune_idempotency_keys(conn: Conn, ctx: HandlerContext, req: MaintenancePrune) -> int:
    days = retention(req, "idempotency_keys", DEFAULT_KEY_RETENTION_DAYS)
    return deleted(await conn.execute(idempotency.PRUNE, days))


@contextlib.asynccontextmanager
async def serving(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Any]:
    """Answer `gateway.maintenance.prune` while the gateway runs."""
    async with svc.running(settings, pool) as ctx:
        yield ctx
