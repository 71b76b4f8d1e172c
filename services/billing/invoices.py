"""Wix invoices for quotes: created (draft), sent, then moved on by Wix webhooks (see payments.py)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from libs.common.db import Conn
from libs.common.events.billing import CreateInvoice, InvoiceCreated, QuoteView
from libs.common.logging import get_logger
from libs.common.messages import Envelope
from libs.common.outbox import add_event
from libs.common.service import Transaction, in_transaction
from services.billing import quotes, repo
from services.billing.deps import Billing
from services.billing.errors import PaymentProviderError, QuoteError
from services.billing.wix import WixInvoice

SOURCE = "billing"
log = get_logger(__name__)


async def create_invoice(
    req: CreateInvoice, billing: Billing, causation: Envelope | None = None, tx: Transaction | None = None
) -> InvoiceCreated:
    if billing.wix is None:
        raise QuoteError("not_configured", "Wix is not configured (BILLING_WIX_API_KEY)")
    quote = await repo.get_quote(billing.pool, _uuid(req.quote_id))
    if quote is None:
        raise QuoteError("not_found", f"no quote {req.quote_id}")
    if quote.status == "paid":  # the owner asks for the invoice of a paid quote: recorded as paid
        async with in_transaction(billing.pool, tx) as conn:
            return await _paid_invoice(conn, quote, billing, causation)
    quotes.ensure_payable(quote, billing.clock())
    if not quote.email:
        raise QuoteError("bad_request", f"quote {quote.id} has no customer e-mail to invoice")
    due = (billing.clock() + timedelta(days=req.due_in_days)).date()
    invoice = await _created_on_wix(billing, quote, due)
    status = "draft"
    if req.send:
        invoice = await billing.wix.send_invoice(invoice.id)
        status = "sent"
    async with in_transaction(billing.pool, tx) as conn:
        invoice_row_id = await conn.fetchval(
            repo.INSERT_INVOICE, quote.id, quote.session_id, invoice.id, status, quote.totals.gross,
            quote.currency, invoice.url, due, quote.email)
        await conn.execute(repo.SET_QUOTE_INVOICE, quote.id, invoice.id, invoice.url)
        await conn.execute(repo.FINISH_INVOICE_ATTEMPT, quote.id, invoice.id)
        event = InvoiceCreated(invoice_id=str(invoice_row_id), wix_invoice_id=invoice.id, quote_id=quote.id,
                               amount=quote.totals.gross, currency=quote.currency, status=status)
        await add_event(conn, event, source=SOURCE, aggregate_id=quote.id, causation=causation,
                        session_id=quote.session_id)
    return event


async def after_wix_payment(conn: Conn, quote_id: str, billing: Billing, causation: Envelope | None) -> None:
    """A Wix checkout completed: issue its invoice as paid, in the payment's transaction."""
    if billing.wix is None:
        return
    quote = await repo.get_quote(conn, quote_id, lock=True)
    if quote is None or not quote.email:
        log.info("invoice_skipped", quote_id=quote_id, reason="no quote or no customer e-mail")
        return
    try:
        async with conn.transaction():  # a savepoint: a Wix failure leaves the payment applied
            await _paid_invoice(conn, quote, billing, causation)
    except PaymentProviderError as exc:
        log.warning("invoice_not_issued", quote_id=quote_id, error=str(exc),
                    hint="the owner can ask again: billing.create_invoice")


async def _paid_invoice(conn: Conn, quote: QuoteView, billing: Billing, causation: Envelope | None) -> InvoiceCreated:
    """The Wix invoice of a paid quote: created, its payment recorded, never sent as a payment request.

    The quote row is locked and an existing invoice returned, so a retry or a second request makes
    no second invoice on Wix.
    """
    assert billing.wix is not None
    await conn.execute("SELECT 1 FROM app_quotes WHERE id = $1 FOR UPDATE", quote.id)
    existing = await conn.fetchrow(repo.SELECT_QUOTE_INVOICE, quote.id)
    if existing is not None:
        return InvoiceCreated(invoice_id=str(existing["id"]), wix_invoice_id=existing["wix_invoice_id"],
                              quote_id=quote.id, amount=existing["amount"], currency=existing["currency"],
                              status=existing["status"])
    if not quote.email:
        raise QuoteError("bad_request", f"quote {quote.id} has no customer e-mail to invoice")
    today = billing.clock().date()
    invoice = await _created_on_wix(billing, quote, today)
    invoice = await billing.wix.record_payment(invoice.id, quote.totals.gross, today)
    lead_id = await conn.fetchval(repo.SELECT_LEAD_BY_EMAIL, quote.email)
    row_id = await conn.fetchval(repo.INSERT_INVOICE, quote.id, quote.session_id, invoice.id, "paid",
                                 quote.totals.gross, quote.currency, invoice.url, today, quote.email)
    await conn.execute(repo.SET_INVOICE_METADATA, row_id, {"lead_id": str(lead_id) if lead_id else None,
                                                           "recorded_paid": True})
    await conn.execute(repo.SET_QUOTE_INVOICE, quote.id, invoice.id, invoice.url)
    await conn.execute(repo.FINISH_INVOICE_ATTEMPT, quote.id, invoice.id)
    event = InvoiceCreated(invoice_id=str(row_id), wix_invoice_id=invoice.id, quote_id=quote.id,
                           amount=quote.totals.gross, currency=quote.currency, status="paid")
    await add_event(conn, event, source=SOURCE, aggregate_id=quote.id, causation=causation,
                    session_id=quote.session_id)
    log.info("invoice_issued_paid", quote_id=quote.id, wix_invoice_id=invoice.id)
    return event


async def _created_on_wix(billing: Billing, quote: QuoteView, due: date) -> WixInvoice:
    """The quote's invoice created on Wix, at most once per attempt that may have reached Wix: the
    attempt is committed first (migration 068); one left in flight by a dead worker refuses the call."""
    assert billing.wix is not None
    if await billing.pool.fetchval(repo.CLAIM_INVOICE_ATTEMPT, quote.id) is None:
        started = await billing.pool.fetchval(repo.SELECT_INVOICE_ATTEMPT, quote.id)
        when = f" at {started:%Y-%m-%d %H:%M} UTC" if started is not None else ""
        raise PaymentProviderError("wix", "outcome_unknown", (
            f"an earlier attempt to create the Wix invoice of quote {quote.id} was interrupted{when}: Wix may "
            "hold it already, so none is created again; check the invoices in the Wix dashboard (if there is "
            f"none, `comptoir quote release-invoice {quote.id}` lets the next request create it)"))
    try:
        return await billing.wix.create_invoice(quote, due)
    except PaymentProviderError as exc:
        if not exc.maybe_done:  # Wix refused or was never reached: nothing was created, a retry may go
            await billing.pool.execute(repo.RELEASE_INVOICE_ATTEMPT, quote.id)
        raise


def _uuid(quote_id: str) -> str:
    try:
        return str(uuid.UUID(quote_id))
    except ValueError as exc:
        raise QuoteError("bad_request", f"not a quote id: {quote_id!r}") from exc
