"""billing.create_quote / create_checkout / create_invoice are claimed by request id: the same
request again (a redelivery, a retry under the same id) gets the first reply, one row, one link."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from libs.common.db import Conn
from libs.common.events.billing import CreateCheckout, CreateQuote, QuoteLineIn, QuoteReply
from libs.common.messages import Envelope, Message
from libs.common.service import HandlerContext
from libs.common.settings import Settings
from services.billing.app import svc
from services.billing.handlers import QUOTE_IDS, create_quote
from tests.billing.conftest import STRIPE_KEY, BillingFactory, billing_config
from tests.fakes.stripe_server import FakeStripeServer
from tests.fakes.wix_server import FakeWixServer, Step


@pytest.fixture
async def billing_svc(settings: Settings, pool: asyncpg.Pool, tmp_path: Path,
                      stripe_fake: FakeStripeServer) -> AsyncIterator[HandlerContext]:
    cfg = billing_config(payment_provider="stripe", stripe_api_key=STRIPE_KEY, stripe_api_base=stripe_fake.base_url)
    async with svc.running(settings, pool, deps={"billing_settings": cfg}) as ctx:
        yield ctx


async def ask(ctx: HandlerContext, kind: str, body: Message, request_id: uuid.UUID) -> QuoteReply:
    return await ctx.rpc.request(kind, body, QuoteReply, timeout=15, request_id=request_id)


def dying_transaction(pool: asyncpg.Pool) -> Callable[[], contextlib.AbstractAsyncContextManager[Conn]]:
    """A handler's transaction whose worker dies before the commit: everything it wrote rolls back."""
    @contextlib.asynccontextmanager
    async def dies_before_commit() -> AsyncIterator[Conn]:
        async with pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                yield conn
            finally:
                await transaction.rollback()
    return dies_before_commit


async def test_a_repeated_create_quote_makes_one_quote_and_one_payment_link(
        billing_svc: HandlerContext, pool: asyncpg.Pool, stripe_fake: FakeStripeServer) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    req = CreateQuote(session_id=session, email="a@b.fr",
                      lines=[QuoteLineIn(label="Coffret", unit_price=Decimal("39.90"), quantity=2)])
    request_id = uuid.uuid4()
    first = await ask(billing_svc, "billing.create_quote", req, request_id)
    again = await ask(billing_svc, "billing.create_quote", req, request_id)
    assert again == first and first.quote.checkout_url
    assert await pool.fetchval("SELECT count(*) FROM app_quotes WHERE session_id = $1", session) == 1
    assert await pool.fetchval("SELECT count(*) FROM app_outbox WHERE type = 'quote.created' "
                               "AND aggregate_id = $1", first.quote.id) == 1
    assert len(stripe_fake.requests) == 1


async def test_a_repeated_create_checkout_answers_the_same(billing_svc: HandlerContext,
                                                           stripe_fake: FakeStripeServer) -> None:
    req = CreateQuote(session_id=f"s-{uuid.uuid4().hex[:8]}", provider="none",
                      lines=[QuoteLineIn(label="Coffret", unit_price=Decimal("10"), quantity=1)])
    quote = (await ask(billing_svc, "billing.create_quote", req, uuid.uuid4())).quote
    assert quote.checkout_url is None
    request_id = uuid.uuid4()
    first = await ask(billing_svc, "billing.create_checkout", CreateCheckout(quote_id=quote.id), request_id)
    again = await ask(billing_svc, "billing.create_checkout", CreateCheckout(quote_id=quote.id), request_id)
    assert first.quote.checkout_url and again == first
    assert len(stripe_fake.requests) == 1


async def test_a_create_quote_taken_over_reuses_the_first_runs_stripe_session(
        pool: asyncpg.Pool, make_billing: BillingFactory, stripe_fake: FakeStripeServer) -> None:
    """The first run opened a Stripe session, then died before its transaction committed; the request
    is taken over (the same envelope, redelivered): the same quote id and dates, so the same Stripe
    parameters and idempotency key, and Stripe replays the first session: one session, one row."""
    billing = make_billing(payment_provider="stripe")
    req = CreateQuote(email="relance@example.fr", lines=[QuoteLineIn(label="Coffret", unit_price=Decimal("39.90"))])
    envelope = Envelope.wrap(req, source="chat")

    dies_before_commit = dying_transaction(pool)
    first = await create_quote(req, billing, envelope, dies_before_commit)
    assert await pool.fetchval("SELECT count(*) FROM app_quotes WHERE id = $1", uuid.UUID(first.id)) == 0
    second = await create_quote(req, billing, envelope)
    assert second.id == first.id == str(uuid.uuid5(QUOTE_IDS, str(envelope.id)))
    assert second.stripe_session_id == first.stripe_session_id and second.checkout_url == first.checkout_url
    assert stripe_fake.created == 1 and len({r["idempotency_key"] for r in stripe_fake.requests}) == 1
    assert await pool.fetchval("SELECT count(*) FROM app_quotes WHERE id = $1", uuid.UUID(first.id)) == 1
    # another request (another envelope) is another quote
    other = await create_quote(req, billing, Envelope.wrap(req, source="chat"))
    assert other.id != first.id and stripe_fake.created == 2


async def test_a_wix_invoice_cut_off_before_commit_is_never_created_twice(
        pool: asyncpg.Pool, make_billing: BillingFactory, wix_fake: FakeWixServer) -> None:
    """Wix takes no idempotency key: billing commits an attempt before the call (migration 068). The
    first run's invoice reached Wix, then the run died before its transaction committed: asking again
    is refused with the reason rather than creating a second invoice. A call Wix refused leaves no
    attempt behind, so it can be asked again."""
    from libs.common.events.billing import CreateInvoice
    from services.billing.errors import PaymentProviderError
    from services.billing.invoices import create_invoice

    billing = make_billing(payment_provider="none")
    lines = [QuoteLineIn(label="Lampe Orion", unit_price=Decimal("129.00"))]
    asked = [CreateQuote(email=email, lines=lines) for email in ("facture@example.fr", "refus@example.fr")]
    cut, refused = [await create_quote(req, billing, Envelope.wrap(req, source="test")) for req in asked]

    dies_before_commit = dying_transaction(pool)
    before = len(wix_fake.invoices)
    await create_invoice(CreateInvoice(quote_id=cut.id, send=False), billing, None, dies_before_commit)
    assert len(wix_fake.invoices) == before + 1  # Wix has it; our row did not commit
    assert await pool.fetchval("SELECT count(*) FROM app_wix_invoices WHERE quote_id = $1", uuid.UUID(cut.id)) == 0
    with pytest.raises(PaymentProviderError) as err:
        await create_invoice(CreateInvoice(quote_id=cut.id, send=False), billing)
    assert err.value.code == "outcome_unknown" and "Wix dashboard" in err.value.message
    assert len(wix_fake.invoices) == before + 1

    wix_fake.script(Step("/invoices/v2/invoices", status=400))
    with pytest.raises(PaymentProviderError):
        await create_invoice(CreateInvoice(quote_id=refused.id, send=False), billing)
    made = await create_invoice(CreateInvoice(quote_id=refused.id, send=False), billing)
    assert made.wix_invoice_id in wix_fake.invoices and len(wix_fake.invoices) == before + 2
    assert await pool.fetchval("SELECT wix_invoice_id FROM billing_invoice_attempts WHERE quote_id = $1",
                               uuid.UUID(refused.id)) == made.wix_invoice_id
