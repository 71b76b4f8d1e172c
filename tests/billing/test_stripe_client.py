"""The official stripe library against the local Stripe server: sessions, idempotency, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from libs.common.events.billing import CreateQuote, QuoteLineIn, QuoteView
from services.billing.config import BillingSettings
from services.billing.errors import PaymentProviderError
from services.billing.quotes import new_quote
from services.billing.stripe_client import StripeCheckout, session_params, session_window
from tests.billing.conftest import STRIPE_KEY
from tests.fakes.stripe_server import FakeStripeServer, Step

OK, CANCEL = "https://shop.example/ok?q={quote_id}", "https://shop.example/ko"


def a_quote(**cfg: object) -> QuoteView:
    req = CreateQuote(email="marie@example.fr", session_id="s-1", lines=[
        QuoteLineIn(label="Crème « bio »", unit_price=Decimal("12.50"), quantity=3),
        QuoteLineIn(label="Livraison", unit_price=Decimal("4.99"), quantity=1)])
    return new_quote(req, {}, BillingSettings(_env_file=None, **cfg), datetime.now(UTC))  # type: ignore[arg-type]


@pytest.fixture
async def client(stripe_fake: FakeStripeServer):
    checkout = StripeCheckout(STRIPE_KEY, stripe_fake.base_url, timeout_s=0.5, max_retries=2)
    yield checkout
    await checkout.close()


async def test_a_session_carries_the_quote_lines_reference_and_total(client, stripe_fake) -> None:
    quote = a_quote()
    link = await client.create_session(quote, OK, CANCEL, datetime.now(UTC))
    assert link.url.endswith(link.id) and link.id.startswith("cs_test_")
    session = stripe_fake.sessions[link.id]
    assert session["amount_total"] == 4249 and session["currency"] == "eur"
    assert session["client_reference_id"] == quote.id
    assert session["metadata"] == {"quote_id": quote.id, "session_id": "s-1"}
    assert session["success_url"] == f"https://shop.example/ok?q={quote.id}"
    sent = stripe_fake.requests[-1]
    assert sent["idempotency_key"] == f"comptoir-quote-{quote.id}-checkout-0"
    assert sent["params"]["line_items"][0]["price_data"]["product_data"]["name"] == "Crème « bio »"


async def test_vat_exclusive_prices_add_a_vat_line_so_stripe_charges_the_gross(client, stripe_fake) -> None:
    quote = a_quote(prices_include_vat=False)
    link = await client.create_session(quote, OK, CANCEL, datetime.now(UTC))
    assert stripe_fake.sessions[link.id]["amount_total"] == int(quote.totals.gross * 100) == 5099


async def test_a_server_error_is_retried_with_the_same_key_and_makes_one_session(client, stripe_fake) -> None:
    stripe_fake.script(Step(status=500), Step(status=503, should_retry=True))
    link = await client.create_session(a_quote(), OK, CANCEL, datetime.now(UTC))
    assert stripe_fake.created == 1
    keys = {r["idempotency_key"] for r in stripe_fake.requests}
    assert len(stripe_fake.requests) == 3 and len(keys) == 1
    assert link.id in stripe_fake.sessions


async def test_a_timeout_is_retried_with_the_same_key_and_makes_one_session(stripe_fake) -> None:
    # The first answer comes after the client gave up; its retries meet a 409 (request in flight)
    # and then the replay of the session the slow request created.
    checkout = StripeCheckout(STRIPE_KEY, stripe_fake.base_url, timeout_s=0.3, max_retries=4)
    stripe_fake.script(Step(delay_s=0.6))
    quote = a_quote()
    try:
        link = await checkout.create_session(quote, OK, CANCEL, datetime.now(UTC))
        again = await checkout.create_session(quote, OK, CANCEL, datetime.now(UTC))
    finally:
        await checkout.close()
    assert stripe_fake.created == 1 and link.id == again.id
    assert len(stripe_fake.requests) >= 3


async def test_the_same_key_with_other_parameters_is_refused(client, stripe_fake) -> None:
    quote = a_quote()
    await client.create_session(quote, OK, CANCEL, datetime.now(UTC))
    changed = quote.model_copy(update={"email": "autre@example.fr"})
    with pytest.raises(PaymentProviderError, match="same parameters"):
        await client.create_session(changed, OK, CANCEL, datetime.now(UTC))


async def test_a_slow_stripe_times_out_into_a_typed_unavailable_error(stripe_fake) -> None:
    checkout = StripeCheckout(STRIPE_KEY, stripe_fake.base_url, timeout_s=0.2, max_retries=0)
    stripe_fake.script(Step(delay_s=1.0))
    try:
        with pytest.raises(PaymentProviderError) as err:
            await checkout.create_session(a_quote(), OK, CANCEL, datetime.now(UTC))
    finally:
        await checkout.close()
    assert err.value.code == "unavailable"


async def test_a_card_error_or_bad_key_is_a_typed_rejection(client, stripe_fake) -> None:
    stripe_fake.script(Step(status=402, error_type="card_error", code="card_declined"))
    with pytest.raises(PaymentProviderError) as err:
        await client.create_session(a_quote(), OK, CANCEL, datetime.now(UTC))
    assert err.value.code == "rejected" and "card_declined" in err.value.message
    wrong = StripeCheckout("sk_test_wrong", stripe_fake.base_url, 0.5, 0)
    try:
        with pytest.raises(PaymentProviderError, match="Invalid API Key"):
            await wrong.create_session(a_quote(), OK, CANCEL, datetime.now(UTC))
    finally:
        await wrong.close()


async def test_a_saved_error_is_replayed_for_the_same_key(client, stripe_fake) -> None:
    quote = a_quote()
    stripe_fake.script(Step(status=400, error_type="invalid_request_error", code="parameter_invalid"))
    for _ in range(2):
        with pytest.raises(PaymentProviderError, match="parameter_invalid"):
            await client.create_session(quote, OK, CANCEL, datetime.now(UTC))
    assert stripe_fake.created == 0 and len(stripe_fake.requests) == 2


def test_the_session_expiry_is_fixed_per_window_and_within_stripe_limits() -> None:
    quote = a_quote()
    for hours in (0, 1, 11.9, 12, 30, 47):
        now = quote.created_at + timedelta(hours=hours)
        window, expires = session_window(quote, now)
        assert window == int(hours // 12)
        assert session_window(quote, now + timedelta(minutes=5))[1] == expires or hours in (11.9,)
        assert expires <= quote.expires_at and expires - now <= timedelta(hours=24)
        if quote.expires_at - now > timedelta(minutes=31):
            assert session_params(quote, OK, CANCEL, now)["expires_at"] == int(expires.timestamp())


async def test_a_quote_expiring_within_30_minutes_cannot_get_a_session(client) -> None:
    quote = a_quote()
    with pytest.raises(PaymentProviderError, match="expires too soon"):
        await client.create_session(quote, OK, CANCEL, quote.expires_at - timedelta(minutes=10))
