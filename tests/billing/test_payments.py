"""Webhook events applied directly on the database (no broker): outcomes and their records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from libs.common.events.billing import CreateQuote, QuoteLineIn, QuoteView
from services.billing import repo
from services.billing.payments import Outcome, apply_stripe_event, apply_wix_event
from services.billing.quotes import new_quote
from tests.billing.conftest import billing_config


async def stored_quote(pool: asyncpg.Pool, **update: Any) -> tuple[QuoteView, str]:
    quote = new_quote(CreateQuote(email="p@example.fr", lines=[QuoteLineIn(label="Kit", unit_price=Decimal("10"))]),
                      {}, billing_config(), datetime.now(UTC))
    session_id = f"cs_test_{uuid.uuid4().hex}"
    quote = quote.model_copy(update={"stripe_session_id": session_id, **update})
    async with pool.acquire() as conn:
        await repo.insert_quote(conn, quote, {})
    return quote, session_id


async def stripe(pool: asyncpg.Pool, event: dict[str, Any]) -> Outcome:
    async with pool.acquire() as conn, conn.transaction():
        return await apply_stripe_event(conn, event, datetime.now(UTC))


async def wix(pool: asyncpg.Pool, event: dict[str, Any]) -> Outcome:
    async with pool.acquire() as conn, conn.transaction():
        return await apply_wix_event(conn, event, datetime.now(UTC))


def completed(session_id: str, **session: Any) -> dict[str, Any]:
    obj = {"id": session_id, "payment_status": "paid", "amount_total": 1000, "currency": "eur", **session}
    return {"id": f"evt_{uuid.uuid4().hex}", "type": "checkout.session.completed", "data": {"object": obj}}


async def test_a_completed_session_pays_once_and_a_second_event_for_it_is_ignored(pool) -> None:
    quote, session_id = await stored_quote(pool)
    event = completed(session_id)
    assert (await stripe(pool, event)).status == "processed"
    assert (await stripe(pool, event)).status == "duplicate"
    other = completed(session_id)  # a second event id for the same payment
    outcome = await stripe(pool, other)
    assert outcome == Outcome("ignored", "quote already paid", quote.id)
    assert await pool.fetchval("SELECT count(*) FROM app_outbox WHERE type = 'payment.completed' "
                               "AND aggregate_id = $1", quote.id) == 1


async def test_unpaid_sessions_and_other_event_types_need_no_action_but_are_recorded(pool) -> None:
    quote, session_id = await stored_quote(pool)
    unpaid = completed(session_id, payment_status="unpaid")
    assert (await stripe(pool, unpaid)).status == "ignored"
    refund = {"id": f"evt_{uuid.uuid4().hex}", "type": "charge.refunded", "data": {"object": {}}}
    assert (await stripe(pool, refund)).status == "ignored"
    row = await pool.fetchrow(repo.SELECT_WEBHOOK, "stripe", refund["id"])
    assert row["status"] == "ignored" and "charge.refunded" in row["reason"]
    assert await pool.fetchval("SELECT status FROM app_quotes WHERE id = $1", uuid.UUID(quote.id)) == "pending"


async def test_a_session_without_an_amount_is_parked(pool) -> None:
    _quote, session_id = await stored_quote(pool)
    event = completed(session_id)
    del event["data"]["object"]["amount_total"]
    outcome = await stripe(pool, event)
    assert outcome.status == "parked" and "amount_total" in (outcome.reason or "")


async def test_wix_events_without_an_id_or_for_other_entities_are_kept_with_a_reason(pool) -> None:
    no_id = {"eventType": "wix.ecom.v1.order_approved", "data": {"order": {"id": "o-1"}}}
    assert (await wix(pool, no_id)) == Outcome("parked", "Wix event without an id")
    assert await pool.fetchval("SELECT count(*) FROM app_billing_webhook_events WHERE provider = 'wix' "
                               "AND event_id LIKE 'no-id:%' AND payload->'data'->'order'->>'id' = 'o-1'") >= 1
    other = {"eventType": "wix.contacts.v4.contact_created", "data": {"id": str(uuid.uuid4())}}
    assert (await wix(pool, other)).status == "ignored"
    unpaid = {"eventType": "wix.ecom.v1.order_approved",
              "data": {"id": str(uuid.uuid4()), "actionEvent": {"body": {"order": {"paymentStatus": "NOT_PAID"}}}}}
    assert (await wix(pool, unpaid)).status == "ignored"
    unknown = {"eventType": "wix.ecom.v1.order_payment_status_updated", "data": {
        "id": str(uuid.uuid4()), "actionEvent": {"body": {"order": {"paymentStatus": "PAID", "checkoutId": "nope"}}}}}
    outcome = await wix(pool, unknown)
    assert outcome.status == "parked" and "unknown Wix checkout" in (outcome.reason or "")


async def test_invoice_states_move_forward_only(pool) -> None:
    quote, _session_id = await stored_quote(pool)
    wix_id = str(uuid.uuid4())
    await pool.execute(repo.INSERT_INVOICE, uuid.UUID(quote.id), None, wix_id, "sent", Decimal("10.00"), "EUR",
                       None, None, "p@example.fr")

    def event(slug: str) -> dict[str, Any]:
        return {"eventType": f"wix.invoices.v2.invoice_{slug}", "data": {
            "id": str(uuid.uuid4()), "entityFqdn": "wix.invoices.v2.invoice", "slug": slug, "entityId": wix_id}}

    assert (await wix(pool, event("overdue"))).status == "processed"
    assert (await wix(pool, event("paid"))).status == "processed"
    back = await wix(pool, event("sent"))
    assert back.status == "ignored" and "paid" in (back.reason or "")
    assert await pool.fetchval("SELECT status FROM app_wix_invoices WHERE wix_invoice_id = $1", wix_id) == "paid"
    changes = await pool.fetch("SELECT envelope->'data'->>'status' AS s FROM app_outbox "
                               "WHERE type = 'invoice.status_changed' AND aggregate_id = $1 ORDER BY seq", quote.id)
    assert [r["s"] for r in changes] == ["overdue", "paid"]


async def test_a_wix_order_paid_event_is_applied_once_even_when_redelivered(pool) -> None:
    quote, _ = await stored_quote(pool, wix_checkout_id=str(uuid.uuid4()), stripe_session_id=None)
    event = {"eventType": "wix.ecom.v1.order_payment_status_updated", "data": {
        "id": str(uuid.uuid4()), "entityId": "order-1", "actionEvent": {"body": {"order": {
            "id": "order-1", "paymentStatus": "PAID", "checkoutId": quote.wix_checkout_id, "currency": "EUR",
            "buyerInfo": {"email": "p@example.fr"}, "priceSummary": {"total": {"amount": "10.00"}}}}}}}
    assert (await wix(pool, event)).status == "processed"
    assert (await wix(pool, event)).status == "duplicate"
    assert await pool.fetchval("SELECT status FROM app_quotes WHERE id = $1", uuid.UUID(quote.id)) == "paid"
    paid = await pool.fetch("SELECT envelope FROM app_outbox WHERE type = 'payment.completed' AND aggregate_id = $1",
                            quote.id)
    assert len(paid) == 1 and paid[0]["envelope"]["data"]["provider_reference"] == "order-1"
