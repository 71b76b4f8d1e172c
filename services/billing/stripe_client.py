"""Stripe Checkout Sessions through the official `stripe` library (async, base URL configurable).

The idempotency key is derived from the quote id, so a retry after a timeout — by the library's
own network retries or by a caller asking again — returns the same session instead of a second one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import stripe

from libs.common.events.billing import QuoteView
from services.billing.errors import PaymentProviderError
from services.billing.money import minor_units

# Stripe refuses a Checkout Session that expires sooner than 30 minutes or later than 24 hours.
MIN_SESSION_LIFETIME = timedelta(minutes=31)
MAX_SESSION_LIFETIME = timedelta(hours=23, minutes=55)
# A retried request must repeat its parameters exactly (Stripe refuses a reused idempotency key with
# other ones), so the session's expiry is fixed per 12-hour window of the quote's life, not per call.
WINDOW = timedelta(hours=12)


def session_window(quote: QuoteView, now: datetime) -> tuple[int, datetime]:
    """(window index, session expiry): the same for every call within one window."""
    index = max(0, int((now - quote.created_at) / WINDOW))
    return index, min(quote.expires_at, quote.created_at + index * WINDOW + MAX_SESSION_LIFETIME)


@dataclass(frozen=True)
class CheckoutLink:
    id: str
    url: str


def session_params(quote: QuoteView, success_url: str, cancel_url: str, now: datetime) -> dict[str, Any]:
    if quote.expires_at - now < MIN_SESSION_LIFETIME:
        raise PaymentProviderError("stripe", "expires_too_soon",
                                   f"quote {quote.id} expires too soon for a Stripe checkout")
    _, expires = session_window(quote, now)
    currency = quote.currency.lower()
    items: list[dict[str, Any]] = [
        {"quantity": line.quantity,
         "price_data": {"currency": currency, "unit_amount": minor_units(line.unit_price, currency),
                        "product_data": {"name": line.label[:250]}}}
        for line in quote.lines
    ]
    if not quote.totals.prices_include_vat and quote.totals.vat > 0:
        items.append({"quantity": 1, "price_data": {
            "currency": currency, "unit_amount": minor_units(quote.totals.vat, currency),
            "product_data": {"name": "TVA"}}})
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": items,
        "client_reference_id": quote.id,
        "metadata": {"quote_id": quote.id, "session_id": quote.session_id or ""},
        "success_url": success_url.format(quote_id=quote.id),
        "cancel_url": cancel_url.format(quote_id=quote.id),
        "expires_at": int(expires.timestamp()),
    }
    if quote.email:
        params["customer_email"] = quote.email
    return params


class StripeCheckout:
    def __init__(self, api_key: str, api_base: str, timeout_s: float, max_retries: int) -> None:
        self._http = stripe.HTTPXClient(timeout=timeout_s)
        self._client = stripe.StripeClient(
            api_key, base_addresses={"api": api_base.rstrip("/")},
            max_network_retries=max_retries, http_client=self._http,
        )

    async def create_session(
        self, quote: QuoteView, success_url: str, cancel_url: str, now: datetime
    ) -> CheckoutLink:
        params = session_params(quote, success_url, cancel_url, now)
        window, _ = session_window(quote, now)
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"comptoir-quote-{quote.id}-checkout-{window}"},
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        if not session.url:
            raise PaymentProviderError("stripe", "no_url", f"session {session.id} has no URL")
        return CheckoutLink(id=session.id, url=session.url)

    async def receipt_url(self, session: dict[str, Any]) -> str | None:
        """The paid session's invoice page (`invoice.hosted_invoice_url`) or card receipt
        (`payment_intent.latest_charge.receipt_url`); None when Stripe made neither."""
        try:
            if session.get("invoice"):
                invoice = await self._client.v1.invoices.retrieve_async(str(session["invoice"]))
                return invoice.hosted_invoice_url or invoice.invoice_pdf
            if session.get("payment_intent"):
                intent = await self._client.v1.payment_intents.retrieve_async(
                    str(session["payment_intent"]), params={"expand": ["latest_charge"]})
                charge = intent.latest_charge
                return getattr(charge, "receipt_url", None) if charge is not None else None
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return None

    async def list_all(self, kind: str, page_size: int) -> AsyncIterator[dict[str, Any]]:
        """Every object of `/v1/products` or `/v1/prices` (active ones), paged by `starting_after`."""
        resource = {"products": self._client.v1.products, "prices": self._client.v1.prices}[kind]
        params: dict[str, Any] = {"limit": page_size, "active": True}
        while True:
            try:
                page = await resource.list_async(params=params)  # type: ignore[attr-defined]
            except stripe.StripeError as exc:
                raise _provider_error(exc) from exc
            items = [item.to_dict() for item in page.data]
            for item in items:
                yield item
            if not page.has_more or not items:
                return
            params = {**params, "starting_after": items[-1]["id"]}

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]


def _provider_error(exc: stripe.StripeError) -> PaymentProviderError:
    code = getattr(exc, "code", None) or type(exc).__name__
    message = exc.user_message or str(exc) or type(exc).__name__
    if isinstance(exc, stripe.APIConnectionError):
        return PaymentProviderError("stripe", "unavailable", f"Stripe unreachable: {message}")
    status = exc.http_status or 0
    kind = "unavailable" if status >= 500 or status == 429 else "rejected"
    return PaymentProviderError("stripe", kind, f"{code}: {message}")
