"""The Wix client against the local Wix server; the catalogue cache on the real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from libs.common.events.billing import CreateQuote, QuoteLineIn
from services.billing.catalog import Catalog, cache_key
from services.billing.errors import PaymentProviderError
from services.billing.quotes import Product, new_quote
from services.billing.wix import WixClient
from tests.billing.conftest import WIX_KEY, billing_config
from tests.fakes.wix_server import FakeWixServer, Step, product


def pid() -> str:
    return f"prod-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def wix(wix_fake: FakeWixServer):
    client = WixClient(wix_fake.base_url, WIX_KEY, "site-1", timeout_s=0.3, max_retries=2, backoff_s=0.01)
    yield client
    await client.close()


async def test_products_are_queried_by_id_with_decimal_prices(wix, wix_fake) -> None:
    a, b = pid(), pid()
    wix_fake.products[a] = product(a, "Bougie parfumée", "19.90")
    wix_fake.products[b] = product(b, "Diffuseur", "34.00")
    found = await wix.query_products([a, "missing"], "EUR")
    assert found == [Product(a, "Bougie parfumée", Decimal("19.90"), "EUR")]


async def test_reads_are_retried_on_503_and_timeouts(wix, wix_fake) -> None:
    a = pid()
    wix_fake.products[a] = product(a, "Bougie", "10.00")
    wix_fake.script(Step("/stores", status=503), Step("/stores", delay_s=1.0))
    assert [p.id for p in await wix.query_products([a], "EUR")] == [a]
    assert wix_fake.count("POST", "/stores/v1/products/query") == 3


async def test_reads_give_up_after_the_retry_budget_with_a_typed_error(wix, wix_fake) -> None:
    wix_fake.script(*(Step("/stores", status=500) for _ in range(3)))
    with pytest.raises(PaymentProviderError) as err:
        await wix.query_products([pid()], "EUR")
    assert err.value.code == "unavailable" and "500" in err.value.message


async def test_a_checkout_is_created_once_and_its_url_fetched(wix, wix_fake) -> None:
    a = pid()
    wix_fake.products[a] = product(a, "Bougie", "10.00")
    quote = new_quote(CreateQuote(type="product", email="a@b.fr", lines=[QuoteLineIn(product_id=a, quantity=2)]),
                      {a: Product(a, "Bougie", Decimal("10.00"), "EUR")}, billing_config(), datetime.now(UTC))
    checkout = await wix.create_checkout(quote)
    assert checkout.url.endswith(checkout.id)
    assert wix_fake.checkouts[checkout.id]["priceSummary"]["total"]["amount"] == "20.00"
    assert wix_fake.checkouts[checkout.id]["buyerInfo"] == {"email": "a@b.fr"}


async def test_a_failed_or_slow_checkout_creation_is_never_retried_blindly(wix, wix_fake) -> None:
    a = pid()
    wix_fake.products[a] = product(a, "Bougie", "10.00")
    quote = new_quote(CreateQuote(type="product", lines=[QuoteLineIn(product_id=a)]),
                      {a: Product(a, "Bougie", Decimal("10.00"), "EUR")}, billing_config(), datetime.now(UTC))
    wix_fake.script(Step("/ecom/v1/checkouts", status=500))
    with pytest.raises(PaymentProviderError):
        await wix.create_checkout(quote)
    wix_fake.script(Step("/ecom/v1/checkouts", delay_s=1.0))
    with pytest.raises(PaymentProviderError, match=r"Timeout"):
        await wix.create_checkout(quote)
    assert wix_fake.count("POST", "/ecom/v1/checkouts") == 2


async def test_a_wrong_api_key_is_a_rejection_with_wix_reason(wix_fake) -> None:
    client = WixClient(wix_fake.base_url, "bad-key", None, 0.5, 2)
    try:
        with pytest.raises(PaymentProviderError) as err:
            await client.query_products([pid()], "EUR")
    finally:
        await client.close()
    assert err.value.code == "rejected" and "Invalid API key" in err.value.message
    assert wix_fake.count("POST", "/stores") == 1


async def test_the_cache_serves_fresh_entries_counts_hits_and_fetches_missing_ones(pool, wix, wix_fake) -> None:
    a = pid()
    wix_fake.products[a] = product(a, "Savon", "5.50")
    catalog = Catalog(pool, wix, billing_config())
    assert (await catalog.products([a]))[a].price == Decimal("5.50")
    assert (await catalog.products([a, a]))[a].name == "Savon"
    assert wix_fake.count("POST", "/stores") == 1
    row = await pool.fetchrow("SELECT hit_count, expires_at FROM app_product_cache WHERE cache_key = $1",
                              cache_key(a))
    assert row["hit_count"] == 1 and row["expires_at"] > datetime.now(UTC)


async def test_a_stale_entry_is_served_at_once_and_refreshed_in_the_background(pool, wix, wix_fake) -> None:
    a = pid()
    wix_fake.products[a] = product(a, "Savon", "5.50")
    clock = [datetime.now(UTC)]
    catalog = Catalog(pool, wix, billing_config(catalog_ttl_s=60, catalog_stale_s=600), clock=lambda: clock[0])
    await catalog.products([a])
    wix_fake.products[a] = product(a, "Savon", "6.00")
    clock[0] += timedelta(seconds=120)  # expired, within the stale window
    assert (await catalog.products([a]))[a].price == Decimal("5.50")
    await catalog.wait_refreshes()
    assert (await catalog.products([a]))[a].price == Decimal("6.00")
    clock[0] += timedelta(seconds=2000)  # past the stale window: fetched before answering
    wix_fake.products[a] = product(a, "Savon", "6.50")
    assert (await catalog.products([a]))[a].price == Decimal("6.50")
    await catalog.close()


async def test_a_failed_background_refresh_keeps_serving_the_stale_entry(pool, wix, wix_fake) -> None:
    a = pid()
    wix_fake.products[a] = product(a, "Savon", "5.50")
    clock = [datetime.now(UTC)]
    catalog = Catalog(pool, wix, billing_config(catalog_ttl_s=60, catalog_stale_s=600), clock=lambda: clock[0])
    await catalog.products([a])
    clock[0] += timedelta(seconds=120)
    wix_fake.script(*(Step("/stores", status=503) for _ in range(3)))
    assert (await catalog.products([a]))[a].price == Decimal("5.50")
    await catalog.wait_refreshes()
    assert (await catalog.products([a]))[a].price == Decimal("5.50")
    await catalog.wait_refreshes()  # that read started another refresh; let it finish cleanly
    await catalog.close()
