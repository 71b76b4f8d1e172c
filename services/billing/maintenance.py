"""Billing's maintenance job: delete expired `app_product_cache` rows (answered in `billing.maintenance.prune`)."""

from __future__ import annotations

from typing import Any

from libs.common.db import Conn
from libs.common.maintenance import MaintenancePrune, deleted, prune_job
from libs.common.service import HandlerContext, ServiceApp

PRUNE_PRODUCT_CACHE = "DELETE FROM app_product_cache WHERE expires_at < NOW()"


def register(svc: ServiceApp[Any]) -> None:
    @prune_job(svc, "product_cache")
    async def prune_product_cache(conn: Conn, ctx: HandlerContext, req: MaintenancePrune) -> int:
        return deleted(await conn.execute(PRUNE_PRODUCT_CACHE))
