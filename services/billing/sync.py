"""Catalogue sync from the providers: Wix Stores (Catalog v1) and Stripe Products and Prices.

A full sync pages through the provider, upserts each page in its own transaction, and at the end
marks the source's products it did not see as no longer sold. A Wix product webhook
(`ProductCreated`/`ProductChanged`/`ProductDeleted`) refreshes or retires one product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from libs.common.db import Conn
from libs.common.logging import get_logger
from services.billing import products
from services.billing.deps import Billing
from services.billing.money import from_minor_units, to_cents
from services.billing.products import ProductRecord, VariantRecord

log = get_logger(__name__)
WIX_PAGE = 100
STRIPE_PAGE = 100
WIX_PRODUCT_EVENTS = {"ProductCreated": "upsert", "ProductChanged": "upsert", "ProductDeleted": "delete",
                      "product_created": "upsert", "product_updated": "upsert", "product_changed": "upsert",
                      "product_deleted": "delete"}


def is_product_event(event: dict[str, Any]) -> bool:
    event_type = str(event.get("eventType") or "")
    fqdn = str((event.get("data") or {}).get("entityFqdn") or "")
    return fqdn.startswith("wix.stores") or any(event_type.endswith(name) for name in WIX_PRODUCT_EVENTS
                                                if name[0].isupper())


@dataclass(frozen=True)
class SyncReport:
    source: str
    products: int
    retired: int
    pages: int


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return to_cents(amount) if amount.is_finite() and amount >= 0 else None


def _stock(stock: dict[str, Any]) -> tuple[int | None, bool]:
    tracked = bool(stock.get("trackInventory") or stock.get("trackQuantity"))
    quantity = stock.get("quantity")
    in_stock = stock.get("inStock")
    if stock.get("inventoryStatus") == "OUT_OF_STOCK":
        in_stock = False
    count = int(quantity) if tracked and isinstance(quantity, int | float) and quantity >= 0 else None
    return count, bool(in_stock if in_stock is not None else (count is None or count > 0))


def wix_record(item: dict[str, Any], currency: str, vat_rate: Decimal) -> ProductRecord | None:
    """A Wix Stores product (v1 shape, variants included) as a catalogue record; None if unusable."""
    pid = str(item.get("id") or "")
    name = str(item.get("name") or "").strip()
    price_data = item.get("priceData") or item.get("price") or {}
    price = _decimal(price_data.get("discountedPrice") or price_data.get("price"))
    if not pid or not name or price is None:
        return None
    stock, in_stock = _stock(item.get("stock") or {})
    variants: list[VariantRecord] = []
    for raw in item.get("variants") or []:
        choices = raw.get("choices") or {}
        label = " / ".join(str(v) for v in choices.values()) or str(raw.get("id"))
        data = raw.get("variant") or {}
        if data.get("visible") is False or not choices:
            continue
        vprice = _decimal((data.get("priceData") or {}).get("discountedPrice")
                          or (data.get("priceData") or {}).get("price")) or price
        vstock, vin = _stock(raw.get("stock") or {})
        variants.append(VariantRecord(variant_id=str(raw.get("id")), name=label[:300], price=vprice,
                                      sku=data.get("sku") or None, stock=vstock, in_stock=vin))
    media = item.get("media") or {}
    images = [str((m.get("image") or {}).get("url")) for m in media.get("items") or []
              if (m.get("image") or {}).get("url")]
    main = ((media.get("mainMedia") or {}).get("image") or {}).get("url")
    if main and main not in images:
        images.insert(0, str(main))
    attributes = {str(o.get("name")): ", ".join(str(c.get("value") or c.get("description"))
                                                 for c in o.get("choices") or [])
                  for o in item.get("productOptions") or [] if o.get("name")}
    if item.get("brand"):
        attributes["brand"] = str(item["brand"])
    description = str(item.get("description") or "")
    return ProductRecord(
        source="wix", source_id=pid, sku=item.get("sku") or None, name=name[:300],
        description=_strip_tags(description)[:5000], category=item.get("ribbon") or item.get("productType"),
        attributes=attributes, price=min([price, *(v.price for v in variants)]),
        currency=str(price_data.get("currency") or currency).upper(), vat_rate=vat_rate,
        stock=stock if not variants else _sum_stock(variants), in_stock=in_stock if not variants else any(
            v.in_stock for v in variants), images=tuple(images[:10]), variants=tuple(variants))


def _sum_stock(variants: list[VariantRecord]) -> int | None:
    return None if any(v.stock is None for v in variants) else sum(v.stock or 0 for v in variants)


def _strip_tags(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


async def full_sync(source: str, billing: Billing) -> SyncReport | None:
    if source == "wix":
        return await sync_wix(billing) if billing.wix is not None else None
    if source == "stripe":
        return await sync_stripe(billing) if billing.stripe is not None else None
    raise ValueError(f"unknown catalogue source {source!r}")


async def sync_wix(billing: Billing) -> SyncReport:
    assert billing.wix is not None
    started = billing.clock()
    offset, pages, count = 0, 0, 0
    while True:
        page, total = await billing.wix.products_page(offset, WIX_PAGE)
        pages += 1
        records = [r for item in page if (r := wix_record(item, billing.cfg.currency, billing.cfg.vat_rate))]
        async with billing.pool.acquire() as conn, conn.transaction():
            await products.upsert(conn, records, billing.clock())
        count += len(records)
        offset += len(page)
        if not page or len(page) < WIX_PAGE or (total is not None and offset >= total):
            break
    async with billing.pool.acquire() as conn:
        retired = await products.deactivate_missing(conn, "wix", started)
    log.info("catalogue_synced", source="wix", products=count, retired=retired, pages=pages)
    return SyncReport("wix", count, retired, pages)


async def apply_wix_product_event(conn: Conn, billing: Billing, event_type: str, domain: dict[str, Any],
                                  now: datetime) -> tuple[str, str | None]:
    """(outcome, reason) for a Wix Stores product webhook, inside the consumer's transaction."""
    kind = next((k for name, k in WIX_PRODUCT_EVENTS.items() if event_type.endswith(name)
                 or str(domain.get("slug")) == name), None)
    pid = str(domain.get("entityId") or domain.get("productId") or "")
    if kind is None or not pid:
        return "ignored", f"product event {event_type} without a product id"
    if kind == "delete":
        retired = await products.deactivate(conn, products.product_id("wix", pid))
        return "processed", None if retired else "product was not in the catalogue"
    if billing.wix is None:
        return "parked", "Wix is not configured (BILLING_WIX_API_KEY): cannot fetch the product"
    item = await billing.wix.get_product(pid)
    if item is None:
        retired = await products.deactivate(conn, products.product_id("wix", pid))
        return "processed", "product no longer on Wix: retired"
    record = wix_record(item, billing.cfg.currency, billing.cfg.vat_rate)
    if record is None:
        return "parked", f"Wix product {pid} has no name or price"
    await products.upsert(conn, [record], now)
    return "processed", None


async def sync_stripe(billing: Billing) -> SyncReport:
    assert billing.stripe is not None
    started = billing.clock()
    prices: dict[str, list[dict[str, Any]]] = {}
    pages = 0
    async for price in billing.stripe.list_all("prices", STRIPE_PAGE):
        if price.get("active") and price.get("type", "one_time") == "one_time":
            prices.setdefault(str(price.get("product")), []).append(price)
    records: list[ProductRecord] = []
    async for item in billing.stripe.list_all("products", STRIPE_PAGE):
        pages += 1
        record = stripe_record(item, prices.get(str(item.get("id")), []), billing.cfg.vat_rate)
        if record is not None:
            records.append(record)
    for start in range(0, len(records), 500):
        async with billing.pool.acquire() as conn, conn.transaction():
            await products.upsert(conn, records[start:start + 500], billing.clock())
    async with billing.pool.acquire() as conn:
        retired = await products.deactivate_missing(conn, "stripe", started)
    log.info("catalogue_synced", source="stripe", products=len(records), retired=retired)
    return SyncReport("stripe", len(records), retired, pages)


def stripe_record(item: dict[str, Any], prices: list[dict[str, Any]], default_vat: Decimal) -> ProductRecord | None:
    """A Stripe product and its one-time prices: one price → the product's; several → variants."""
    if not item.get("active", True) or not prices or not item.get("name"):
        return None
    meta = {str(k): str(v) for k, v in (item.get("metadata") or {}).items()}
    vat = _decimal(meta.pop("vat_rate", None))
    vat_rate = vat if vat is not None and vat <= 1 else default_vat

    def ttc(price: dict[str, Any]) -> Decimal:
        currency = str(price.get("currency") or "eur").upper()
        amount = from_minor_units(int(price.get("unit_amount") or 0), currency)
        # an exclusive price is shown to a French customer with its VAT
        return to_cents(amount * (1 + vat_rate)) if price.get("tax_behavior") == "exclusive" else amount

    default = next((p for p in prices if p.get("id") == item.get("default_price")), prices[0])
    currency = str(default.get("currency") or "eur").upper()
    same_currency = sorted((p for p in prices if str(p.get("currency") or "").upper() == currency),
                           key=lambda p: (int(p.get("unit_amount") or 0), str(p["id"])))
    variants = tuple(
        VariantRecord(variant_id=str(p["id"]), name=str(p.get("nickname") or p.get("lookup_key") or p["id"])[:300],
                      price=ttc(p), stock=_int(p.get("metadata", {}).get("stock")))
        for p in same_currency) if len(same_currency) > 1 else ()
    stock = _int(meta.pop("stock", None))
    category = meta.pop("category", None)
    return ProductRecord(
        source="stripe", source_id=str(item["id"]), sku=meta.pop("sku", None), name=str(item["name"])[:300],
        description=str(item.get("description") or ""), category=category, attributes=meta,
        price=min([ttc(default), *(v.price for v in variants)]), currency=currency, vat_rate=vat_rate,
        stock=stock, in_stock=stock is None or stock > 0, images=tuple(str(i) for i in item.get("images") or []),
        variants=variants)


def _int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None

