"""Wix invoices for quotes: created (draft), sent, then moved on by Wix webhooks (see payments.py)."""

from __future__ import annotations

from datetime import timedelta

from libs.common.events.billing import CreateInvoice, InvoiceCreated
from libs.common.messages import Envelope
from libs.common.outbox import add_event
from services.billing import quotes, repo
from services.billing.deps import Billing
from services.billing.errors import QuoteError
from services.billing.handlers import get_quote

SOURCE = "billing"


async def create_invoice(
    req: CreateInvoice, billing: Billing, causation: Envelope | None = None
) -> InvoiceCreated:
    if billing.wix is None:
        raise QuoteError("not_configured", "Wix is not configured (BILLING_WIX_API_KEY)")
    quote = await get_quote(req.quote_id, billing)
    quotes.ensure_payable(quote, billing.clock())
    if not quote.email:
        raise QuoteError("bad_request", f"quote {quote.id} has no customer e-mail to invoice")
    due = (billing.clock() + timedelta(days=req.due_in_days)).date()
    invoice = await billing.wix.create_invoice(quote, due)
    status = "draft"
    if req.send:
        invoice = await billing.wix.send_invoice(invoice.id)
        status = "sent"
    async with billing.pool.acquire() as conn, conn.transaction():
        invoice_row_id = await conn.fetchval(
            repo.INSERT_INVOICE, quote.id, quote.session_id, invoice.id, status, quote.totals.gross,
            quote.currency, invoice.url, due, quote.email)
        await conn.execute(repo.SET_QUOTE_INVOICE, quote.id, invoice.id, invoice.url)
        event = InvoiceCreated(invoice_id=str(invoice_row_id), wix_invoice_id=invoice.id, quote_id=quote.id,
                               amount=quote.totals.gross, currency=quote.currency, status=status)
        await add_event(conn, event, source=SOURCE, aggregate_id=quote.id, causation=causation,
                        session_id=quote.session_id)
    return event
