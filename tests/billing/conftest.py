"""Billing fixtures: local Stripe and Wix servers, and a `Billing` wired to them on the per-run DB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from libs.storage.postgres import PostgresStorage
from services.billing.catalog import Catalog
from services.billing.config import BillingSettings
from services.billing.deps import Billing
from services.billing.storage import QuoteFiles
from services.billing.stripe_client import StripeCheckout
from services.billing.wix import WixClient
from tests.fakes.stripe_server import FakeStripeServer
from tests.fakes.wix_server import FakeWixServer, WixSigner

STRIPE_KEY = "sk_test_comptoir"
STRIPE_WEBHOOK_SECRET = "whsec_billing_tests"
WIX_KEY = "wix-api-key"
FILES_URL = "http://127.0.0.1:8000/v1/files"


@pytest.fixture(scope="session")
def wix_signer() -> WixSigner:
    return WixSigner()


@pytest.fixture
async def stripe_fake() -> AsyncIterator[FakeStripeServer]:
    async with FakeStripeServer(api_key=STRIPE_KEY) as fake:
        yield fake


@pytest.fixture
async def wix_fake() -> AsyncIterator[FakeWixServer]:
    async with FakeWixServer(api_key=WIX_KEY) as fake:
        yield fake


def billing_config(**overrides: Any) -> BillingSettings:
    values: dict[str, Any] = {"stripe_webhook_secret": STRIPE_WEBHOOK_SECRET, "stripe_timeout_s": 2.0,
                              "stripe_max_retries": 2, "wix_timeout_s": 1.0, "wix_max_retries": 2,
                              "payment_provider": "none"}
    values.update(overrides)
    return BillingSettings(_env_file=None, **values)


BillingFactory = Callable[..., Billing]


@pytest.fixture
async def make_billing(pool: asyncpg.Pool, tmp_path: Path,
                       stripe_fake: FakeStripeServer, wix_fake: FakeWixServer) -> AsyncIterator[BillingFactory]:
    made: list[Billing] = []

    def make(*, stripe: bool = True, wix: bool = True, **overrides: Any) -> Billing:
        cfg = billing_config(**overrides)
        wix_client = WixClient(wix_fake.base_url, WIX_KEY, "site-1", cfg.wix_timeout_s, cfg.wix_max_retries,
                               backoff_s=0.01) if wix else None
        stripe_client = StripeCheckout(STRIPE_KEY, stripe_fake.base_url, cfg.stripe_timeout_s,
                                       cfg.stripe_max_retries) if stripe else None
        billing = Billing(cfg=cfg, pool=pool, storage=QuoteFiles(PostgresStorage(pool, "billing", 10**7), FILES_URL),
                          catalog=Catalog(pool, wix_client, cfg), stripe=stripe_client, wix=wix_client)
        made.append(billing)
        return billing

    yield make
    for billing in made:
        await billing.close()


LEGAL_FACTS = {"brand_name": "Maison Lumière", "legal_name": "Maison Lumière SAS",
               "legal_address": "12 rue des Cierges, 69002 Lyon", "siret": "123 456 789 00012",
               "vat_number": "FR32123456789", "payment_terms": "Paiement à la commande."}


async def set_facts(pool: asyncpg.Pool, facts: Mapping[str, str | None]) -> None:
    """Company facts as the admin API writes them; None deactivates a key."""
    for key, value in facts.items():
        await pool.execute("""
            INSERT INTO app_company_facts (key, value, active) VALUES ($1, coalesce($2, ''), $2 IS NOT NULL)
            ON CONFLICT (key) DO UPDATE SET value = coalesce($2, ''), active = $2 IS NOT NULL""", key, value)


@pytest.fixture(autouse=True)
async def legal_facts(pool: asyncpg.Pool) -> None:
    """Billing tests run with the seller's legal facts set (a PDF is refused without them)."""
    await set_facts(pool, LEGAL_FACTS)
