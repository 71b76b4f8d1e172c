"""The billing service on the real broker and database: requests, webhooks, purchases, expiry."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from libs.common.errors import RemoteError
from libs.common.events.billing import (
    CreateCheckout,
    CreateInvoice,
    CreateQuote,
    GetQuote,
    InvoiceCreated,
    QuoteLineIn,
    QuoteReply,
    QuoteView,
    StripeWebhookReceived,
    WixWebhookReceived,
)
from libs.common.messages import Message
from libs.common.outbox import add_event
from libs.common.service import HandlerContext
from libs.common.settings import Settings
from libs.webhooks import stripe_signature_header
from services.billing.app import svc
from tests.billing.conftest import STRIPE_KEY, STRIPE_WEBHOOK_SECRET, WIX_KEY, billing_config
from tests.conftest import eventually
from tests.fakes.stripe_server import FakeStripeServer, Step
from tests.fakes.wix_server import FakeWixServer, WixSigner, product


@pytest.fixture
async def billing_svc(settings: Settings, pool: asyncpg.Pool, tmp_path: Path, stripe_fake: FakeStripeServer,
                      wix_fake: FakeWixServer, wix_signer: WixSigner) -> AsyncIterator[HandlerContext]:
    cfg = billing_config(
        payment_provider="stripe", stripe_api_key=STRIPE_KEY, stripe_api_base=stripe_fake.base_url,
        wix_api_key=WIX_KEY, wix_api_base=wix_fake.base_url, wix_site_id="site-1",
        wix_public_key=wix_signer.public_pem, expiry_interval_s=0.2)
    async with svc.running(settings, pool, deps={"billing_settings": cfg}) as ctx:
        yield ctx


async def ask(ctx: HandlerContext, kind: str, body: Message) -> QuoteReply:
    return await ctx.rpc.request(kind, body, QuoteReply, timeout=15)


async def send(pool: asyncpg.Pool, message: Message) -> None:
    """Publish a command the way the gateway does: through the outbox."""
    async with pool.acquire() as conn, conn.transaction():
        await add_event(conn, message, source="gateway")


def stripe_command(event: dict[str, Any], secret: str = STRIPE_WEBHOOK_SECRET) -> StripeWebhookReceived:
    body = json.dumps(event)
    return StripeWebhookReceived(body=body, received_at=datetime.now(UTC),
                                 headers={"stripe-signature": stripe_signature_header(body.encode(), secret)})


async def new_quote(ctx: HandlerContext, email: str | None = None, **extra: Any) -> QuoteView:
    req = CreateQuote(session_id=f"s-{uuid.uuid4().hex[:8]}", email=email, lines=[
        QuoteLineIn(label="Coffret découverte", unit_price=Decimal("39.90"), quantity=2),
        QuoteLineIn(label="Livraison", unit_price=Decimal("4.90"), quantity=1)], **extra)
    return (await ask(ctx, "billing.create_quote", req)).quote


async def webhook_row(pool: asyncpg.Pool, provider: str, event_id: str) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM app_billing_webhook_events WHERE provider = $1 AND event_id = $2",
                               provider, event_id)


async def test_a_quote_over_the_broker_has_totals_pdf_checkout_and_an_event(billing_svc, pool, settings) -> None:
    quote = await new_quote(billing_svc, email="Claire@Example.fr")
    assert quote.totals.gross == Decimal("84.70") and quote.totals.net == Decimal("70.58")
    assert quote.checkout_url and quote.stripe_session_id and quote.email == "claire@example.fr"
    # the link goes through the gateway (COMPTOIR_PUBLIC_URL + /v1/files); the PDF is in the file store
    assert quote.pdf_url == settings.public_link(f"/v1/files/quotes/{quote.id}.pdf")
    pdf = await pool.fetchval("SELECT data FROM app_files WHERE key = $1", f"quotes/{quote.id}.pdf")
    assert pdf.startswith(b"%PDF")
    row = await pool.fetchrow("SELECT status, total, subtotal_net, vat_amount FROM app_quotes WHERE id = $1",
                              uuid.UUID(quote.id))
    assert (row["status"], row["total"], row["subtotal_net"], row["vat_amount"]) == (
        "pending", Decimal("84.70"), Decimal("70.58"), Decimal("14.12"))
    event = await pool.fetchrow("SELECT envelope FROM app_outbox WHERE type = 'quote.created' "
                                "AND aggregate_id = $1", quote.id)
    assert event["envelope"]["data"]["quote"]["totals"]["gross"] == "84.70"
    again = (await ask(billing_svc, "billing.get_quote", GetQuote(quote_id=quote.id))).quote
    assert again == quote


@pytest.mark.parametrize(("lines", "code"), [
    ([QuoteLineIn(product_id="no-such-product")], "unknown_product"),
    ([QuoteLineIn(label="Kit", unit_price=Decimal("5"), quantity=-1)], "bad_request"),
    ([QuoteLineIn(label="Kit", unit_price=Decimal("-5"))], "bad_request"),
])
async def test_bad_quote_requests_get_typed_errors_and_write_nothing(billing_svc, pool, lines, code) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    with pytest.raises(RemoteError) as err:
        await ask(billing_svc, "billing.create_quote", CreateQuote(session_id=session, lines=lines))
    assert err.value.code == code
    assert await pool.fetchval("SELECT count(*) FROM app_quotes WHERE session_id = $1", session) == 0


async def test_a_stripe_failure_leaves_no_quote_behind(billing_svc, pool, stripe_fake) -> None:
    stripe_fake.script(Step(status=402, error_type="card_error", code="card_declined"))
    session = f"s-{uuid.uuid4().hex[:8]}"
    with pytest.raises(RemoteError) as err:
        await ask(billing_svc, "billing.create_quote", CreateQuote(
            session_id=session, lines=[QuoteLineIn(label="Kit", unit_price=Decimal("5"))]))
    assert err.value.code == "provider_rejected"
    assert await pool.fetchval("SELECT count(*) FROM app_quotes WHERE session_id = $1", session) == 0


async def test_unknown_and_malformed_quote_ids_are_typed_errors(billing_svc) -> None:
    for quote_id, code in ((str(uuid.uuid4()), "not_found"), ("nope", "bad_request")):
        with pytest.raises(RemoteError) as err:
            await ask(billing_svc, "billing.get_quote", GetQuote(quote_id=quote_id))
        assert err.value.code == code


async def test_stripe_payment_marks_paid_once_and_announces_the_purchase(billing_svc, pool, stripe_fake) -> None:
    email = f"lead-{uuid.uuid4().hex[:8]}@example.fr"
    quote = await new_quote(billing_svc, email=email.upper())
    event = stripe_fake.completed_event(quote.stripe_session_id, email=email)
    await send(pool, stripe_command(event))
    await eventually(lambda: pool.fetchval("SELECT status = 'paid' FROM app_quotes WHERE id = $1",
                                           uuid.UUID(quote.id)))
    # the purchase is announced; chat, which owns app_leads, records it on the lead (tests/chat/test_purchases.py)
    announced = await pool.fetchval("SELECT envelope FROM app_outbox WHERE type = 'payment.completed' "
                                    "AND aggregate_id = $1", quote.id)
    assert announced["data"]["email"] == email and announced["data"]["amount"] == "84.70"
    paid = (await ask(billing_svc, "billing.get_quote", GetQuote(quote_id=quote.id))).quote
    assert paid.invoice_url and paid.invoice_url.startswith("https://pay.stripe.com/receipts/payment/ch_")
    # Stripe retries the same event: a new broker message, the same event id — no second effect.
    retry = stripe_command(event)
    await send(pool, retry)
    await eventually(lambda: pool.fetchval(
        "SELECT count(*) = 2 FROM app_inbox WHERE consumer = 'billing.stripe_webhooks' AND message_id IN "
        "(SELECT id FROM app_outbox WHERE type = 'billing.stripe_webhook_received' "
        "AND envelope->'data'->>'body' = $1)", json.dumps(event)))
    assert await pool.fetchval("SELECT count(*) FROM app_outbox WHERE type = 'payment.completed' "
                               "AND aggregate_id = $1", quote.id) == 1
    row = await webhook_row(pool, "stripe", event["id"])
    assert row is not None and row["status"] == "processed"


@pytest.mark.parametrize("case", ["unknown_session", "amount", "currency", "expired", "forged"])
async def test_webhooks_that_cannot_be_applied_are_recorded_with_a_reason(billing_svc, pool, stripe_fake,
                                                                         case) -> None:
    quote = await new_quote(billing_svc, email="x@example.fr")
    session = quote.stripe_session_id
    event = {
        "unknown_session": lambda: stripe_fake.completed_event("cs_test_unknown_" + uuid.uuid4().hex),
        "amount": lambda: stripe_fake.completed_event(session, amount_total=100),
        "currency": lambda: stripe_fake.completed_event(session, currency="usd"),
        "expired": lambda: stripe_fake.completed_event(session),
        "forged": lambda: stripe_fake.completed_event(session),
    }[case]()
    if case == "expired":
        await pool.execute("UPDATE app_quotes SET status = 'expired' WHERE id = $1", uuid.UUID(quote.id))
    command = stripe_command(event, secret="whsec_forged" if case == "forged" else STRIPE_WEBHOOK_SECRET)
    await send(pool, command)
    if case == "forged":
        row = await eventually(lambda: pool.fetchrow(
            "SELECT * FROM app_billing_webhook_events WHERE status = 'rejected' AND payload->>'received_at' = $1",
            command.received_at.isoformat()))
        assert row["reason"] == "signature mismatch"
    else:
        row = await eventually(lambda: webhook_row(pool, "stripe", event["id"]))
        assert row["status"] == "parked" and row["reason"]
    expected = "expired" if case == "expired" else "pending"
    assert await pool.fetchval("SELECT status FROM app_quotes WHERE id = $1", uuid.UUID(quote.id)) == expected
    assert await pool.fetchval("SELECT count(*) FROM app_outbox WHERE type = 'payment.completed' "
                               "AND aggregate_id = $1", quote.id) == 0


async def test_overdue_quotes_expire_and_are_announced(billing_svc, pool) -> None:
    quote = await new_quote(billing_svc)
    await pool.execute("UPDATE app_quotes SET expires_at = NOW() - INTERVAL '1 minute' WHERE id = $1",
                       uuid.UUID(quote.id))
    await eventually(lambda: pool.fetchval("SELECT status = 'expired' FROM app_quotes WHERE id = $1",
                                           uuid.UUID(quote.id)))
    event = await eventually(lambda: pool.fetchrow(
        "SELECT envelope FROM app_outbox WHERE type = 'quote.expired' AND aggregate_id = $1", quote.id))
    assert event["envelope"]["data"]["quote_id"] == quote.id
    with pytest.raises(RemoteError) as err:
        await ask(billing_svc, "billing.create_checkout", CreateCheckout(quote_id=quote.id))
    assert err.value.code == "invalid_state"


async def test_a_wix_product_quote_is_paid_by_a_signed_wix_webhook(billing_svc, pool, wix_fake,
                                                                  wix_signer) -> None:
    pid = f"prod-{uuid.uuid4().hex[:8]}"
    wix_fake.products[pid] = product(pid, "Théière en fonte", "59.00")
    quote = await new_quote_wix(billing_svc, pid)
    assert quote.wix_checkout_id and quote.checkout_url and quote.totals.gross == Decimal("118.00")
    payment = await pool.fetchrow("SELECT status, amount, quote_id FROM app_wix_checkout_payments "
                                  "WHERE checkout_id = $1", quote.wix_checkout_id)
    assert (payment["status"], payment["amount"], str(payment["quote_id"])) == ("pending", Decimal("118.00"),
                                                                                  quote.id)
    domain = wix_fake.paid_order_event(quote.wix_checkout_id)
    token = wix_signer.sign("wix.ecom.v1.order_payment_status_updated", domain)
    await send(pool, WixWebhookReceived(body=token.decode(), received_at=datetime.now(UTC)))
    await eventually(lambda: pool.fetchval("SELECT status = 'paid' FROM app_quotes WHERE id = $1",
                                           uuid.UUID(quote.id)))
    assert await pool.fetchval("SELECT status FROM app_wix_checkout_payments WHERE checkout_id = $1",
                               quote.wix_checkout_id) == "completed"
    forged = WixSigner().sign("wix.ecom.v1.order_payment_status_updated", domain)
    command = WixWebhookReceived(body=forged.decode(), received_at=datetime.now(UTC))
    await send(pool, command)
    row = await eventually(lambda: pool.fetchrow(
        "SELECT reason FROM app_billing_webhook_events WHERE provider = 'wix' AND status = 'rejected' "
        "AND payload->>'received_at' = $1", command.received_at.isoformat()))
    assert "invalid token" in row["reason"]


async def new_quote_wix(ctx: HandlerContext, pid: str) -> QuoteView:
    req = CreateQuote(type="product", email="wix@example.fr", provider="wix",
                      lines=[QuoteLineIn(product_id=pid, quantity=2)])
    return (await ask(ctx, "billing.create_quote", req)).quote


async def test_an_invoice_is_sent_then_moved_on_by_wix_webhooks(billing_svc, pool, wix_fake, wix_signer) -> None:
    quote = await new_quote(billing_svc, email="facture@example.fr", provider="none")
    created = await billing_svc.rpc.request("billing.create_invoice", CreateInvoice(quote_id=quote.id),
                                            InvoiceCreated, timeout=15)
    assert created.status == "sent" and wix_fake.invoices[created.wix_invoice_id]["status"] == "Sent"
    domain = {"id": str(uuid.uuid4()), "entityFqdn": "wix.invoices.v2.invoice", "slug": "paid",
              "entityId": created.wix_invoice_id}
    await send(pool, WixWebhookReceived(body=wix_signer.sign("wix.invoices.v2.invoice_paid", domain).decode(),
                                        received_at=datetime.now(UTC)))
    await eventually(lambda: pool.fetchval("SELECT status = 'paid' FROM app_wix_invoices WHERE wix_invoice_id = $1",
                                           created.wix_invoice_id))
    event = await pool.fetchrow("SELECT envelope FROM app_outbox WHERE type = 'invoice.status_changed' "
                                "AND aggregate_id = $1", quote.id)
    assert event["envelope"]["data"]["previous_status"] == "sent"


async def test_a_link_is_added_later_once_and_a_free_quote_gets_none(billing_svc, pool, stripe_fake) -> None:
    quote = await new_quote(billing_svc, email="later@example.fr", provider="none")
    assert quote.checkout_url is None
    linked = (await ask(billing_svc, "billing.create_checkout", CreateCheckout(quote_id=quote.id))).quote
    assert linked.stripe_session_id in stripe_fake.sessions and linked.checkout_url
    again = (await ask(billing_svc, "billing.create_checkout", CreateCheckout(quote_id=quote.id))).quote
    assert again.checkout_url == linked.checkout_url and stripe_fake.created == 1
    stored = await pool.fetchrow("SELECT stripe_session_id, checkout_url FROM app_quotes WHERE id = $1",
                                 uuid.UUID(quote.id))
    assert (stored["stripe_session_id"], stored["checkout_url"]) == (linked.stripe_session_id, linked.checkout_url)
    free = (await ask(billing_svc, "billing.create_quote", CreateQuote(
        lines=[QuoteLineIn(label="Diagnostic offert", unit_price=Decimal("0"))]))).quote
    assert free.totals.gross == 0 and free.checkout_url is None and stripe_fake.created == 1


async def test_the_retired_billing_purchases_queue_is_deleted_at_start(settings: Settings, pool: asyncpg.Pool,
                                                                       amqp_url: str) -> None:
    """An older billing consumed payment.completed on `billing.purchases`; left bound on an upgraded
    broker it would fill up for ever. Billing deletes it (and its .retry) when it starts."""
    import aio_pika

    from tests.conftest import delete_broker_names, with_fresh_prefix

    own = with_fresh_prefix(settings)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        old = await channel.declare_queue(own.queue("billing.purchases"), durable=True)
        await channel.declare_queue(own.queue("billing.purchases.retry"), durable=True)
        await channel.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=old.name)
        async with svc.running(own, pool, deps={"billing_settings": billing_config()}):
            for name in ("billing.purchases", "billing.purchases.retry"):
                probe = await connection.channel()
                with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
                    await probe.declare_queue(own.queue(name), passive=True)
    finally:
        await connection.close()
        await delete_broker_names(amqp_url, own.queue_prefix)
