"""Billing's handlers: each takes its typed message and billing's deps (`Billing`).

Quotes: create (with PDF and payment link), read, attach a checkout, expire. Webhook commands:
re-verified, then applied once in the consumer's transaction (`payments.py`).

External calls (Stripe, Wix, PDF storage) happen before the one transaction that writes the quote
and its `quote.created` event, so a provider failure leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from libs.common.db import Conn
from libs.common.events.billing import (
    CreateQuote,
    ProductResults,
    QuoteCreated,
    QuoteExpired,
    QuoteView,
    SearchProducts,
    StripeWebhookReceived,
    WebhookRejected,
    WixWebhookReceived,
)
from libs.common.logging import get_logger
from libs.common.messages import Envelope
from libs.common.outbox import add_event
from libs.common.service import Transaction, in_transaction
from libs.webhooks import (
    WebhookVerificationError,
    parse_stripe_event,
    verify_stripe_signature,
    verify_wix_webhook,
)
from services.billing import catalogue, invoices, payments, quotes, repo, sync
from services.billing.deps import Billing
from services.billing.errors import PaymentProviderError, QuoteError
from services.billing.pdf import missing_legal_facts, render_quote_pdf
from services.billing.storage import quote_pdf_key

log = get_logger(__name__)
SOURCE = "billing"
EXPIRY_BATCH = 500


# quote ids of `billing.create_quote` requests: uuid5(this, request id)
QUOTE_IDS = uuid.UUID("5c1d8a52-3f0e-4d8e-9d0b-2b9c1f6e7a41")
# how far the request's own time may be from billing's clock to date the quote (else billing's clock)
REQUEST_CLOCK_SKEW = timedelta(minutes=10)


def _request_identity(causation: Envelope | None, now: datetime) -> tuple[str | None, datetime]:
    """(quote id, creation time) of the quote a request makes: both from the request when there is one.

    A request taken over (a broker redelivery after billing died, a retry under the same id) builds the
    very same quote — id, dates, hence the same Stripe parameters and idempotency key — so Stripe replays
    the session the first run created instead of opening a second one, and the PDF key is the same."""
    if causation is None:
        return None, now
    asked = causation.occurred_at
    created = asked if abs(now - asked) <= REQUEST_CLOCK_SKEW else now
    return str(uuid.uuid5(QUOTE_IDS, str(causation.id))), created


async def create_quote(req: CreateQuote, billing: Billing, causation: Envelope | None = None,
                       tx: Transaction | None = None) -> QuoteView:
    product_ids = [line.product_id for line in req.lines if line.product_id]
    products = await catalogue.quoted_products(product_ids, billing) if product_ids else {}
    rules = await catalogue.policy(billing)
    quote_id, created = _request_identity(causation, billing.clock())
    quote = quotes.new_quote(req, products, billing.cfg, created, rules, quote_id=quote_id)
    provider = _provider(req.provider, billing, rules)
    if provider != "none" and quote.totals.gross > 0:  # nothing to pay: no payment link
        quote = await _with_checkout(quote, provider, billing)
    quote = await _with_pdf(quote, billing)
    async with in_transaction(billing.pool, tx) as conn:
        metadata = {"source": causation.source if causation else "cli",
                    "pdf_unavailable_reason": quote.pdf_unavailable_reason}
        await repo.insert_quote(conn, quote, metadata)
        if quote.wix_checkout_id:
            await _record_wix_checkout(conn, quote)
        await add_event(conn, QuoteCreated(quote=quote), source=SOURCE, aggregate_id=quote.id,
                        causation=causation, session_id=quote.session_id)
    log.info("quote_created", quote_id=quote.id, total=str(quote.totals.gross), provider=provider)
    return quote


def _provider(asked: str | None, billing: Billing, rules: quotes.QuotePolicy) -> str:
    """The checkout a new quote gets; with wixFirstStrict only Wix (no Stripe fallback)."""
    provider = billing.cfg.payment_provider if asked is None else asked
    if rules.wix_only and provider == "stripe":
        if asked == "stripe":
            raise QuoteError("not_configured", "wixFirstStrict is on: checkout goes through Wix only")
        return "wix" if billing.wix is not None else "none"
    return provider


async def search_products(req: SearchProducts, billing: Billing) -> ProductResults:
    return await catalogue.search(req, billing)


async def get_quote(quote_id: str, billing: Billing) -> QuoteView:
    quote = await repo.get_quote(billing.pool, _uuid(quote_id))
    if quote is None:
        raise QuoteError("not_found", f"no quote {quote_id}")
    return quote


async def create_checkout(quote_id: str, provider: str | None, billing: Billing,
                          tx: Transaction | None = None) -> QuoteView:
    """Attach a payment link to a pending quote; an existing link is returned unchanged."""
    quote = await get_quote(quote_id, billing)
    quotes.ensure_payable(quote, billing.clock())
    if quote.checkout_url:
        return quote
    chosen = _provider(provider, billing, await catalogue.policy(billing))
    if chosen == "none":
        raise QuoteError("not_configured", "no payment provider configured (BILLING_PAYMENT_PROVIDER)")
    quote = await _with_pdf(await _with_checkout(quote, chosen, billing), billing)
    async with in_transaction(billing.pool, tx) as conn:
        if quote.stripe_session_id:
            status = await conn.execute(repo.SET_STRIPE_CHECKOUT, quote.id, quote.stripe_session_id,
                                        quote.checkout_url)
        else:
            status = await conn.execute(repo.SET_WIX_CHECKOUT, quote.id, quote.wix_checkout_id,
                                        quote.checkout_url)
            await _record_wix_checkout(conn, quote)
        if status.endswith(" 0"):
            raise QuoteError("invalid_state", f"quote {quote.id} changed state meanwhile")
        await conn.execute(repo.SET_PDF_URL, quote.id, quote.pdf_url)
    return quote


async def _with_checkout(quote: QuoteView, provider: str, billing: Billing) -> QuoteView:
    if provider == "stripe":
        if billing.stripe is None:
            raise QuoteError("not_configured", "Stripe is not configured (BILLING_STRIPE_API_KEY)")
        link = await billing.stripe.create_session(quote, billing.cfg.stripe_success_url,
                                                   billing.cfg.stripe_cancel_url, billing.clock())
        return quote.model_copy(update={"stripe_session_id": link.id, "checkout_url": link.url})
    if provider == "wix":
        if billing.wix is None:
            raise QuoteError("not_configured", "Wix is not configured (BILLING_WIX_API_KEY)")
        checkout = await billing.wix.create_checkout(quote)
        return quote.model_copy(update={"wix_checkout_id": checkout.id, "checkout_url": checkout.url})
    raise QuoteError("bad_request", f"unknown payment provider {provider!r}")


async def _with_pdf(quote: QuoteView, billing: Billing) -> QuoteView:
    """The quote with its PDF, or with the honest reason none can be issued yet."""
    facts = await repo.company_facts(billing.pool)
    missing = missing_legal_facts(facts)
    if missing:
        reason = ("a legal quote PDF needs the seller's " + ", ".join(missing)
                  + " (company facts); the owner sets them in the admin")
        return quote.model_copy(update={"pdf_url": None, "pdf_unavailable_reason": reason})
    data = await asyncio.to_thread(render_quote_pdf, quote, facts, billing.cfg.pdf_font, zone=billing.zone)
    url = await billing.storage.put(quote_pdf_key(quote.id), data, "application/pdf")
    return quote.model_copy(update={"pdf_url": url, "pdf_unavailable_reason": None})


async def render_pdf(quote_id: str, billing: Billing) -> QuoteView:
    """(Re)render a stored quote's PDF, e.g. after company facts changed."""
    quote = await _with_pdf(await get_quote(quote_id, billing), billing)
    if quote.pdf_unavailable_reason:
        raise QuoteError("pdf_unavailable", quote.pdf_unavailable_reason)
    await billing.pool.execute(repo.SET_PDF_URL, quote.id, quote.pdf_url)
    return quote


async def _record_wix_checkout(conn: Conn, quote: QuoteView) -> None:
    items = [line.model_dump(mode="json") for line in quote.lines]
    await conn.execute(repo.INSERT_WIX_CHECKOUT, quote.session_id, quote.wix_checkout_id,
                       quote.totals.gross, quote.currency, items, {"email": quote.email}, quote.id,
                       quote.checkout_url)


async def expire_due(billing: Billing) -> int:
    """Move overdue pending quotes to `expired` and announce each, in batches, in one transaction each."""
    total = 0
    while True:
        now = billing.clock()
        async with billing.pool.acquire() as conn, conn.transaction():
            rows = await repo.expire_overdue(conn, now, EXPIRY_BATCH)
            for row in rows:
                await add_event(conn, QuoteExpired(quote_id=str(row["id"]), session_id=row["session_id"],
                                                   email=row["email"], expired_at=now),
                                source=SOURCE, aggregate_id=str(row["id"]), session_id=row["session_id"])
        total += len(rows)
        if len(rows) < EXPIRY_BATCH:
            break
    if total:
        log.info("quotes_expired", count=total)
    return total


def _uuid(quote_id: str) -> str:
    try:
        return str(uuid.UUID(quote_id))
    except ValueError as exc:
        raise QuoteError("bad_request", f"not a quote id: {quote_id!r}") from exc



# ---- webhook commands and purchase events (run in the consumer's transaction) --------------------
async def stripe_webhook(cmd: StripeWebhookReceived, billing: Billing, conn: Conn, envelope: Envelope) -> None:
    secret = billing.cfg.stripe_webhook_secret
    body = cmd.body.encode()
    try:
        # Re-checked here (the broker is not the trust boundary); tolerance 0: retries arrive late.
        if secret is not None and secret.get_secret_value():
            event = verify_stripe_signature(body, _header(cmd.headers, "stripe-signature"),
                                            secret.get_secret_value(), tolerance=0)
        else:
            event = parse_stripe_event(body)
    except WebhookVerificationError as exc:
        await _record_rejected(conn, envelope, "stripe", exc.reason, cmd)
        return
    outcome = await payments.apply_stripe_event(conn, event, billing.clock(), envelope)
    if outcome.paid and outcome.quote_id and billing.stripe is not None:
        await _stripe_receipt(conn, event, outcome.quote_id, billing)


async def _stripe_receipt(conn: Conn, event: dict[str, Any], quote_id: str, billing: Billing) -> None:
    """Keep the Stripe receipt (or invoice) link of a paid quote, for the customer."""
    assert billing.stripe is not None
    session = (event.get("data") or {}).get("object") or {}
    try:
        url = await billing.stripe.receipt_url(session)
    except PaymentProviderError as exc:  # the payment stands; the link can be fetched later
        log.warning("stripe_receipt_unavailable", quote_id=quote_id, error=str(exc))
        return
    if url:
        await conn.execute(repo.SET_QUOTE_INVOICE_URL, quote_id, url)


async def wix_webhook(cmd: WixWebhookReceived, billing: Billing, conn: Conn, envelope: Envelope) -> None:
    try:
        event = verify_wix_webhook(cmd.body.encode(), billing.cfg.wix_public_key or "", verify_exp=False)
    except WebhookVerificationError as exc:
        await _record_rejected(conn, envelope, "wix", exc.reason, cmd)
        return
    if sync.is_product_event(event):
        await _wix_product_event(conn, billing, event)
        return
    outcome = await payments.apply_wix_event(conn, event, billing.clock(), envelope)
    if outcome.status == "processed" and outcome.quote_id and outcome.paid:
        await invoices.after_wix_payment(conn, outcome.quote_id, billing, envelope)


async def _wix_product_event(conn: Conn, billing: Billing, event: dict[str, Any]) -> None:
    domain = event.get("data") or {}
    event_type = str(event.get("eventType"))
    event_id = str(domain.get("id") or domain.get("eventId") or "")
    if not event_id:
        await repo.record_webhook(conn, "wix", f"no-id:{uuid.uuid4()}", event_type, "parked",
                                  "Wix event without an id", payload=event)
        return
    if not await repo.record_webhook(conn, "wix", event_id, event_type, "processed", payload=event):
        return
    try:
        status, reason = await sync.apply_wix_product_event(conn, billing, event_type, domain, billing.clock())
    except PaymentProviderError as exc:
        if exc.code == "unavailable":
            raise  # retried by the consumer (the claim above rolls back with it)
        status, reason = "parked", str(exc)
    await repo.set_webhook_outcome(conn, "wix", event_id, status, reason, None)
    log.info("wix_product_event", event_id=event_id, event_type=event_type, outcome=status, reason=reason)


async def webhook_rejected(event: WebhookRejected, conn: Conn) -> None:
    event_id = f"rejected:{event.body_sha256}:{event.received_at.isoformat()}"
    await repo.record_webhook(conn, event.provider, event_id, "rejected", "rejected", event.reason,
                              payload={"remote_addr": event.remote_addr})


async def _record_rejected(conn: Conn, envelope: Envelope, provider: str, reason: str, cmd: Any) -> None:
    log.warning("webhook_rejected_by_billing", provider=provider, reason=reason)
    await repo.record_webhook(conn, provider, f"rejected:{envelope.id}", "rejected", "rejected",
                              reason, payload={"received_at": cmd.received_at.isoformat()})


def _header(headers: dict[str, str], name: str) -> str:
    return next((value for key, value in headers.items() if key.lower() == name), "")
