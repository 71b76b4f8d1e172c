"""Catalogue prices through `app_product_cache`: TTL, hit count, stale-while-revalidate.

A fresh entry is served as is. An expired entry younger than `catalog_stale_s` past its expiry is
still served (a quote is never held up by Wix) while one background task refreshes it. Anything
older, or missing, is fetched from Wix before answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from libs.common.logging import get_logger
from services.billing import repo
from services.billing.config import BillingSettings
from services.billing.errors import PaymentProviderError
from services.billing.quotes import Product
from services.billing.wix import WixClient

log = get_logger(__name__)


def cache_key(product_id: str) -> str:
    return f"wix:product:{product_id}"


def _to_json(product: Product) -> dict[str, Any]:
    return {"id": product.id, "name": product.name, "price": str(product.price), "currency": product.currency}


def _from_json(data: dict[str, Any]) -> Product:
    return Product(id=data["id"], name=data["name"], price=Decimal(data["price"]), currency=data["currency"])


class Catalog:
    def __init__(self, pool: asyncpg.Pool, wix: WixClient | None, cfg: BillingSettings,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._pool = pool
        self._wix = wix
        self._cfg = cfg
        self._clock = clock or (lambda: datetime.now(UTC))
        self._refreshing: dict[str, asyncio.Task[None]] = {}

    async def products(self, product_ids: list[str]) -> dict[str, Product]:
        now = self._clock()
        found: dict[str, Product] = {}
        stale: list[str] = []
        for product_id in dict.fromkeys(product_ids):
            row = await self._pool.fetchrow(repo.SELECT_CACHE, cache_key(product_id))
            if row is None or row["expires_at"] + timedelta(seconds=self._cfg.catalog_stale_s) <= now:
                continue
            await self._pool.execute(repo.HIT_CACHE, cache_key(product_id))
            found[product_id] = _from_json(row["data"])
            if row["expires_at"] <= now:
                stale.append(product_id)
        missing = [p for p in dict.fromkeys(product_ids) if p not in found]
        if missing and self._wix is not None:
            found.update(await self._fetch(missing))
        for product_id in stale:
            self._refresh_later(product_id)
        return found

    async def _fetch(self, product_ids: list[str]) -> dict[str, Product]:
        assert self._wix is not None
        products = await self._wix.query_products(product_ids, self._cfg.currency)
        expires = self._clock() + timedelta(seconds=self._cfg.catalog_ttl_s)
        async with self._pool.acquire() as conn, conn.transaction():
            for product in products:
                await conn.execute(repo.UPSERT_CACHE, cache_key(product.id), _to_json(product), expires)
        return {p.id: p for p in products if p.id in product_ids}

    def _refresh_later(self, product_id: str) -> None:
        if product_id in self._refreshing or self._wix is None:
            return
        task = asyncio.create_task(self._refresh(product_id))
        self._refreshing[product_id] = task
        task.add_done_callback(lambda _: self._refreshing.pop(product_id, None))

    async def _refresh(self, product_id: str) -> None:
        try:
            await self._fetch([product_id])
        except (PaymentProviderError, asyncpg.PostgresError, OSError) as exc:
            log.warning("catalog_refresh_failed", product_id=product_id, error=str(exc))

    async def wait_refreshes(self) -> None:
        if self._refreshing:
            await asyncio.gather(*self._refreshing.values(), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._refreshing.values()):
            task.cancel()
        await self.wait_refreshes()
