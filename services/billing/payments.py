"""Provider webhook events applied once: quote paid, `payment.completed`, invoice states.

Each function runs inside the consumer's transaction. The (provider, event id) row is claimed
first, so a provider retry (a new broker message with the same event id) has no second effect;
an event that cannot be applied is kept with its reason (status `parked`), never half-applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from libs.common.db import Conn
from libs.common.events.billing import (
    InvoiceStatusChanged,
    PaymentCompleted,
    Provider,
    QuoteView,
)
from libs.common.logging import get_logger
from libs.common.messages import Envelope
from libs.common.outbox import add_event
from services.billing import repo
from services.billing.money import from_minor_units

log = get_logger(__name__)
SOURCE = "billing"
STRIPE_PAID_TYPES = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
WIX_ORDER_TYPES = frozenset({"wix.ecom.v1.order_payment_status_updated", "wix.ecom.v1.order_approved"})
WIX_INVOICE_SLUGS = {"sent": "sent", "paid": "paid", "overdue": "overdue", "canceled": "cancelled",
                     "cancelled": "cancelled", "voided": "cancelled"}
INVOICE_TRANSITIONS = {"draft": {"sent", "paid", "cancelled"}, "sent": {"paid", "overdue", "cancelled"},
                       "overdue": {"paid", "cancelled"}, "paid": set(), "cancelled": set()}


@dataclass(frozen=True)
class Outcome:
    status: str  # processed | ignored | parked | duplicate
    reason: str | None = None
    quote_id: str | None = None
    paid: bool = False  # this event paid the quote


@dataclass(frozen=True)
class Payment:
    provider: Provider
    reference: str
    amount: Decimal
    currency: str
    email: str | None


async def apply_stripe_event(conn: Conn, event: dict[str, Any], now: datetime,
                             causation: Envelope | None = None) -> Outcome:
    event_id, event_type = str(event["id"]), str(event.get("type"))
    if not await repo.record_webhook(conn, "stripe", event_id, event_type, "processed", payload=event):
        return Outcome("duplicate")
    outcome = await _stripe_outcome(conn, event, event_type, now, causation)
    return await _finish(conn, "stripe", event_id, event_type, outcome)


async def _stripe_outcome(conn: Conn, event: dict[str, Any], event_type: str, now: datetime,
                          causation: Envelope | None) -> Outcome:
    if event_type not in STRIPE_PAID_TYPES:
        return Outcome("ignored", f"event type {event_type} needs no action")
    session = (event.get("data") or {}).get("object") or {}
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return Outcome("ignored", f"payment_status is {session.get('payment_status')!r}; waiting")
    session_id = str(session.get("id") or "")
    row = await conn.fetchrow(repo.SELECT_QUOTE_BY_STRIPE_SESSION, session_id)
    if row is None:
        return Outcome("parked", f"unknown checkout session {session_id!r}")
    currency = str(session.get("currency") or "").upper()
    try:
        amount = from_minor_units(int(session["amount_total"]), currency)
    except (KeyError, TypeError, ValueError):
        return Outcome("parked", "session has no amount_total", str(row["id"]))
    email = (session.get("customer_details") or {}).get("email") or session.get("customer_email")
    payment = Payment("stripe", session_id, amount, currency, email)
    return await _pay(conn, repo.quote_from_row(row), payment, now, causation)


async def _pay(conn: Conn, quote: QuoteView, payment: Payment, now: datetime,
               causation: Envelope | None) -> Outcome:
    if quote.status == "paid":
        return Outcome("ignored", "quote already paid", quote.id)
    if quote.status != "pending":
        return Outcome("parked", f"payment for a {quote.status} quote: refund or honour by hand", quote.id)
    if payment.currency != quote.currency:
        return Outcome("parked", f"currency {payment.currency} differs from the quote's {quote.currency}",
                       quote.id)
    if payment.amount != quote.totals.gross:
        return Outcome("parked", f"paid {payment.amount} but the quote totals {quote.totals.gross}", quote.id)
    await conn.execute(repo.MARK_PAID, quote.id, now)
    await add_event(conn, PaymentCompleted(
        quote_id=quote.id, provider=payment.provider, provider_reference=payment.reference,
        amount=payment.amount, currency=payment.currency, email=quote.email or payment.email,
        session_id=quote.session_id, paid_at=now,
    ), source=SOURCE, aggregate_id=quote.id, causation=causation, session_id=quote.session_id)
    return Outcome("processed", None, quote.id, paid=True)


async def apply_wix_event(conn: Conn, event: dict[str, Any], now: datetime,
                          causation: Envelope | None = None) -> Outcome:
    domain = event.get("data") or {}
    event_type = str(event.get("eventType"))
    event_id = str(domain.get("id") or "")
    if not event_id:
        # Not deduplicable: keep it for an operator under the broker message's id.
        fallback = f"no-id:{causation.id if causation else uuid.uuid4()}"
        await repo.record_webhook(conn, "wix", fallback, event_type, "parked", "Wix event without an id",
                                  payload=event)
        return Outcome("parked", "Wix event without an id")
    if not await repo.record_webhook(conn, "wix", event_id, event_type, "processed", payload=event):
        return Outcome("duplicate")
    if event_type in WIX_ORDER_TYPES:
        outcome = await _wix_order(conn, domain, now, causation)
    elif str(domain.get("entityFqdn", "")).startswith("wix.invoices"):
        outcome = await _wix_invoice(conn, domain, causation)
    else:
        outcome = Outcome("ignored", f"event type {event_type} needs no action")
    return await _finish(conn, "wix", event_id, event_type, outcome)


async def _wix_order(conn: Conn, domain: dict[str, Any], now: datetime,
                     causation: Envelope | None) -> Outcome:
    order = ((domain.get("actionEvent") or {}).get("body") or {}).get("order") or {}
    if order.get("paymentStatus") != "PAID":
        return Outcome("ignored", f"order payment status is {order.get('paymentStatus')!r}")
    checkout_id = str(order.get("checkoutId") or "")
    row = await conn.fetchrow(repo.SELECT_QUOTE_BY_WIX_CHECKOUT, checkout_id)
    if row is None:
        return Outcome("parked", f"unknown Wix checkout {checkout_id!r}")
    try:
        amount = Decimal(str(order["priceSummary"]["total"]["amount"])).quantize(Decimal("0.01"))
    except (KeyError, TypeError, InvalidOperation):
        return Outcome("parked", "order has no priceSummary.total.amount", str(row["id"]))
    email = (order.get("buyerInfo") or {}).get("email")
    order_id = str(order.get("id") or domain.get("entityId") or "")
    payment = Payment("wix", order_id, amount, str(order.get("currency") or "").upper(), email)
    outcome = await _pay(conn, repo.quote_from_row(row), payment, now, causation)
    if outcome.status == "processed":
        await conn.execute(repo.COMPLETE_WIX_CHECKOUT, checkout_id, order_id)
    return outcome


async def _wix_invoice(
    conn: Conn, domain: dict[str, Any], causation: Envelope | None
) -> Outcome:
    new_status = WIX_INVOICE_SLUGS.get(str(domain.get("slug")))
    if new_status is None:
        return Outcome("ignored", f"invoice event {domain.get('slug')!r} needs no action")
    row = await conn.fetchrow(repo.SELECT_INVOICE_FOR_UPDATE, str(domain.get("entityId") or ""))
    if row is None:
        return Outcome("parked", f"unknown Wix invoice {domain.get('entityId')!r}")
    quote_id = str(row["quote_id"]) if row["quote_id"] else None
    if new_status not in INVOICE_TRANSITIONS.get(row["status"], set()):
        return Outcome("ignored", f"invoice is {row['status']}; {new_status} does not apply", quote_id)
    await conn.execute(repo.SET_INVOICE_STATUS, row["id"], new_status)
    await add_event(conn, InvoiceStatusChanged(
        invoice_id=str(row["id"]), wix_invoice_id=row["wix_invoice_id"], quote_id=quote_id,
        previous_status=row["status"], status=new_status,
    ), source=SOURCE, aggregate_id=quote_id or str(row["id"]), causation=causation)
    return Outcome("processed", None, quote_id)


async def _finish(conn: Conn, provider: str, event_id: str, event_type: str,
                  outcome: Outcome) -> Outcome:
    if outcome.status != "processed" or outcome.quote_id:
        await repo.set_webhook_outcome(conn, provider, event_id, outcome.status, outcome.reason,
                                       outcome.quote_id)
    level = log.warning if outcome.status == "parked" else log.info
    level("webhook_applied", provider=provider, event_id=event_id, event_type=event_type,
          outcome=outcome.status, reason=outcome.reason, quote_id=outcome.quote_id)
    return outcome
