"""Quote use cases: create (with PDF and payment link), read, attach a checkout, expire.

External calls (Stripe, Wix, PDF storage) happen before the one transaction that writes the quote
and its `quote.created` event, so a provider failure leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import uuid

from libs.common.db import Conn
from libs.common.events.billing import CreateQuote, QuoteCreated, QuoteExpired, QuoteView
from libs.common.logging import get_logger
from libs.common.messages import Envelope
from libs.common.outbox import add_event
from services.billing import quotes, repo
from services.billing.deps import Billing
from services.billing.errors import QuoteError
from services.billing.pdf import render_quote_pdf
from services.billing.storage import quote_pdf_key

log = get_logger(__name__)
SOURCE = "billing"
EXPIRY_BATCH = 500


async def create_quote(req: CreateQuote, billing: Billing, causation: Envelope | None = None) -> QuoteView:
    product_ids = [line.product_id for line in req.lines if line.product_id]
    products = await billing.catalog.products(product_ids) if product_ids else {}
    quote = quotes.new_quote(req, products, billing.cfg, billing.clock())
    provider = billing.cfg.payment_provider if req.provider is None else req.provider
    if provider != "none" and quote.totals.gross > 0:  # nothing to pay: no payment link
        quote = await _with_checkout(quote, provider, billing)
    quote = await _with_pdf(quote, billing)
    async with billing.pool.acquire() as conn, conn.transaction():
        await repo.insert_quote(conn, quote, {"source": causation.source if causation else "cli"})
        if quote.wix_checkout_id:
            await _record_wix_checkout(conn, quote)
        await add_event(conn, QuoteCreated(quote=quote), source=SOURCE, aggregate_id=quote.id,
                        causation=causation, session_id=quote.session_id)
    log.info("quote_created", quote_id=quote.id, total=str(quote.totals.gross), provider=provider)
    return quote


async def get_quote(quote_id: str, billing: Billing) -> QuoteView:
    quote = await repo.get_quote(billing.pool, _uuid(quote_id))
    if quote is None:
        raise QuoteError("not_found", f"no quote {quote_id}")
    return quote


async def create_checkout(quote_id: str, provider: str | None, billing: Billing) -> QuoteView:
    """Attach a payment link to a pending quote; an existing link is returned unchanged."""
    quote = await get_quote(quote_id, billing)
    quotes.ensure_payable(quote, billing.clock())
    if quote.checkout_url:
        return quote
    chosen = provider or billing.cfg.payment_provider
    if chosen == "none":
        raise QuoteError("not_configured", "no payment provider configured (BILLING_PAYMENT_PROVIDER)")
    quote = await _with_pdf(await _with_checkout(quote, chosen, billing), billing)
    async with billing.pool.acquire() as conn, conn.transaction():
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
    facts = await repo.company_facts(billing.pool)
    data = await asyncio.to_thread(render_quote_pdf, quote, facts, billing.cfg.pdf_font)
    url = await billing.storage.put(quote_pdf_key(quote.id), data, "application/pdf")
    return quote.model_copy(update={"pdf_url": url})


async def render_pdf(quote_id: str, billing: Billing) -> QuoteView:
    """(Re)render a stored quote's PDF, e.g. after company facts changed."""
    quote = await _with_pdf(await get_quote(quote_id, billing), billing)
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

