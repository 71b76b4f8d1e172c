"""Wix REST client (httpx): Stores catalogue, eCommerce checkouts, Invoices.

Reads are retried on timeouts, 429 and 5xx with backoff and jitter. Creating a checkout is not
idempotent on Wix's side, so it is retried only when the request never left (connect error); any
other failure is reported and the caller keeps the quote without a link rather than risk two.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from libs.common.events.billing import QuoteView
from libs.common.logging import get_logger
from services.billing.errors import PaymentProviderError
from services.billing.quotes import Product

log = get_logger(__name__)

WIX_STORES_APP_ID = "215238eb-22a5-4c36-9e7b-e7c08025e04e"
NOT_WIX = ("file:", "stripe:")  # catalogue ids of products Wix does not sell
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class WixCheckout:
    id: str
    url: str


@dataclass(frozen=True)
class WixInvoice:
    id: str
    status: str
    url: str | None


def product_from_wix(item: dict[str, Any], default_currency: str) -> Product:
    price = item.get("priceData") or item.get("price") or {}
    raw = price.get("discountedPrice") or price.get("price")
    try:
        amount = Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise PaymentProviderError("wix", "bad_response", f"product {item.get('id')} has no price") from exc
    return Product(id=str(item["id"]), name=str(item.get("name") or item["id"]), price=amount,
                   currency=str(price.get("currency") or default_currency).upper())


class WixClient:
    def __init__(self, base_url: str, api_key: str, site_id: str | None, timeout_s: float,
                 max_retries: int, backoff_s: float = 0.2) -> None:
        headers = {"Authorization": api_key, "Content-Type": "application/json"}
        if site_id:
            headers["wix-site-id"] = site_id
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)
        self._retries = max_retries
        self._backoff = backoff_s

    async def close(self) -> None:
        await self._http.aclose()

    async def query_products(self, product_ids: list[str], default_currency: str) -> list[Product]:
        body = {"query": {"filter": json.dumps({"id": {"$hasSome": product_ids}}),
                          "paging": {"limit": min(100, max(1, len(product_ids)))}},
                "includeVariants": False}
        data = await self._call("POST", "/stores/v1/products/query", body, retry=True)
        return [product_from_wix(p, default_currency) for p in data.get("products", [])]

    async def products_page(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """One page of the Stores catalogue with variants (`POST /stores/v1/products/query`)."""
        body = {"query": {"paging": {"limit": limit, "offset": offset}, "sort": json.dumps([{"id": "asc"}])},
                "includeVariants": True}
        data = await self._call("POST", "/stores/v1/products/query", body, retry=True)
        items = [p for p in data.get("products") or [] if isinstance(p, dict)]
        total = data.get("totalResults")
        return items, int(total) if isinstance(total, int) else None

    async def get_product(self, product_id: str) -> dict[str, Any] | None:
        """`GET /stores/v1/products/{id}` (variants included); None when Wix no longer has it."""
        try:
            data = await self._call("GET", f"/stores/v1/products/{product_id}", None, retry=True)
        except PaymentProviderError as exc:
            if exc.message.startswith("404"):
                return None
            raise
        found = data.get("product")
        return found if isinstance(found, dict) else None

    async def create_checkout(self, quote: QuoteView) -> WixCheckout:
        items = [_checkout_item(line.product_id, line.variant_id, line.quantity)
                 for line in quote.lines if line.product_id and not line.product_id.startswith(NOT_WIX)]
        if len(items) != len(quote.lines):
            raise PaymentProviderError("wix", "rejected", "a Wix checkout needs catalogue products only")
        body: dict[str, Any] = {"lineItems": items, "channelType": "WEB"}
        if quote.email:
            body["checkoutInfo"] = {"buyerInfo": {"email": quote.email}}
        created = await self._call("POST", "/ecom/v1/checkouts", body, retry=False)
        checkout_id = str((created.get("checkout") or {}).get("id") or "")
        if not checkout_id:
            raise PaymentProviderError("wix", "bad_response", "checkout created without an id")
        url = await self._call("GET", f"/ecom/v1/checkouts/{checkout_id}/checkout-url", None, retry=True)
        return WixCheckout(id=checkout_id, url=str(url.get("checkoutUrl") or ""))

    async def create_invoice(self, quote: QuoteView, due: date) -> WixInvoice:
        body = {"invoice": {
            "title": f"Devis {quote.id[:8].upper()}",
            "customer": {"email": quote.email},
            "currency": quote.currency,
            "dates": {"issueDate": quote.created_at.date().isoformat(), "dueDate": due.isoformat()},
            "lineItems": [{"name": line.label, "quantity": line.quantity,
                           "price": str(line.unit_price)} for line in quote.lines],
        }}
        data = await self._call("POST", "/invoices/v2/invoices", body, retry=False)
        return _invoice(data)

    async def record_payment(self, invoice_id: str, amount: Decimal, paid_on: date) -> WixInvoice:
        """Record the invoice as paid (`POST /invoices/v2/invoices/{id}/payments`): no payment request."""
        body = {"payment": {"type": "online", "amount": str(amount), "date": paid_on.isoformat()}}
        data = await self._call("POST", f"/invoices/v2/invoices/{invoice_id}/payments", body, retry=False)
        return _invoice(data)

    async def send_invoice(self, invoice_id: str) -> WixInvoice:
        data = await self._call("POST", f"/invoices/v2/invoices/{invoice_id}/send", {}, retry=True)
        return _invoice(data)

    async def _call(self, method: str, path: str, body: Any, *, retry: bool) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, path, json=body)
            except httpx.ConnectError as exc:
                error: Exception = exc
            except httpx.TransportError as exc:  # sent, maybe processed: only reads may go again
                if not retry:
                    raise PaymentProviderError("wix", "unavailable", f"{method} {path}: {exc!r}",
                                               maybe_done=True) from exc
                error = exc
            else:
                if response.status_code < 400:
                    return _json(response)
                if not retry or response.status_code not in RETRY_STATUSES:
                    raise _wix_error(response)
                error = _wix_error(response)
            attempt += 1
            if attempt > self._retries:
                if isinstance(error, PaymentProviderError):
                    raise error
                raise PaymentProviderError("wix", "unavailable", f"{method} {path}: {error!r}") from error
            delay = self._backoff * (2 ** (attempt - 1)) * (0.5 + random.random())
            log.info("wix_retry", path=path, attempt=attempt, delay_s=round(delay, 3), error=str(error))
            await asyncio.sleep(delay)


def _checkout_item(product_id: str, variant_id: str | None, quantity: int) -> dict[str, Any]:
    reference: dict[str, Any] = {"catalogItemId": product_id.removeprefix("wix:"), "appId": WIX_STORES_APP_ID}
    if variant_id:
        reference["options"] = {"variantId": variant_id}
    return {"quantity": quantity, "catalogReference": reference}


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise PaymentProviderError("wix", "bad_response",
                                   f"non-JSON answer ({response.status_code})") from exc
    if not isinstance(data, dict):
        raise PaymentProviderError("wix", "bad_response", "answer is not a JSON object")
    return data


def _wix_error(response: httpx.Response) -> PaymentProviderError:
    try:
        body = response.json()
        detail = body.get("details", {}).get("applicationError", {})
        message = detail.get("description") or body.get("message") or response.reason_phrase
        code = detail.get("code") or str(response.status_code)
    except (ValueError, AttributeError):
        message, code = response.reason_phrase, str(response.status_code)
    kind = "unavailable" if response.status_code in RETRY_STATUSES else "rejected"
    return PaymentProviderError("wix", kind, f"{response.status_code} {code}: {message}")


def _invoice(data: dict[str, Any]) -> WixInvoice:
    invoice = data.get("invoice") or {}
    raw_id = invoice.get("id")
    invoice_id = raw_id.get("id") if isinstance(raw_id, dict) else raw_id
    if not invoice_id:
        raise PaymentProviderError("wix", "bad_response", "invoice without an id")
    status = str(invoice.get("status") or "Draft").lower()
    return WixInvoice(id=str(invoice_id), status=status, url=invoice.get("invoiceUrl"))
