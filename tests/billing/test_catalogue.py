"""The product catalogue: file import, Wix Stores and Stripe sync, search, quotes at catalogue prices."""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from libs.common.errors import RemoteError
from libs.common.events.billing import (
    CreateInvoice,
    CreateQuote,
    InvoiceCreated,
    ProductResults,
    QuoteLineIn,
    QuoteReply,
    QuoteView,
    SearchProducts,
    WixWebhookReceived,
)
from libs.common.outbox import add_event
from libs.common.service import HandlerContext
from libs.common.settings import Settings
from services.billing import catalogue, products, sync
from services.billing.app import svc
from services.billing.catalogue_file import parse_catalogue
from services.billing.deps import Billing
from services.billing.errors import QuoteError
from services.billing.handlers import create_quote
from tests.billing.conftest import STRIPE_KEY, WIX_KEY, BillingFactory, billing_config, set_facts
from tests.conftest import eventually
from tests.fakes.stripe_server import FakeStripeServer
from tests.fakes.wix_server import FakeWixServer, WixSigner, store_product

CSV = """sku,name,description,price,currency,vat_rate,stock,category,variant_of,image_url,parfum
BOUGIE-AMBRE,Bougie Ambre,"Bougie parfumée à l'ambre, cire de soja","24,90",EUR,20,,bougies,,https://cdn.example/ambre.jpg,ambre
BOUGIE-AMBRE-200,200 g,,24.90,EUR,20,12,bougies,BOUGIE-AMBRE,,
BOUGIE-AMBRE-400,400 g,,39.90,EUR,20,0,bougies,BOUGIE-AMBRE,,
COFFRET-DECOUVERTE,Coffret découverte,"Trois mini-bougies : ambre, figue, thé vert",35.00,EUR,0.2,5,coffrets,,,
LAMPE-AUTOMNE,Lampe Lumière d'Automne,Lampe de chevet en laiton,129.00,EUR,20 %,2,luminaires,,,
LIVRE-RECETTES,Livre de recettes,Cookbook of seasonal recipes,21.10,EUR,5.5,,livres,,,
BAD-PRICE,Bougie cassée,,douze,EUR,20,1,bougies,,,
,Sans SKU,,10.00,EUR,20,1,,,,
ORPHAN-1,XL,,10.00,EUR,20,1,,NOPE,,
"""


def a_hash_embed(dim: int = 64) -> products.Embed:
    """A deterministic bag-of-words embedding (our own port, `rag.embed`, stood in)."""
    async def embed(texts: list[str]) -> tuple[str, list[list[float]]] | None:
        out = []
        for text in texts:
            v = [0.0] * dim
            for word in text.lower().replace(".", " ").split():
                v[int(hashlib.sha256(word[:5].encode()).hexdigest(), 16) % dim] += 1.0
            norm = math.sqrt(sum(x * x for x in v)) or 1.0
            out.append([x / norm for x in v])
        return "hash-64", out
    return embed


@pytest.fixture
async def shop(pool: asyncpg.Pool, make_billing: BillingFactory) -> AsyncIterator[None]:
    await pool.execute("TRUNCATE billing_products CASCADE")
    await pool.execute("UPDATE app_runtime_state SET value = 'false' WHERE key = 'wixFirstStrict'")
    billing = make_billing()
    report = await catalogue.import_file(CSV.encode(), billing, strict=False)
    assert report.written
    yield
    await pool.execute("UPDATE app_runtime_state SET value = 'false' WHERE key = 'wixFirstStrict'")


def test_a_file_is_read_row_by_row_and_bad_rows_are_reported_with_their_line() -> None:
    parsed = parse_catalogue(CSV.encode(), "EUR", Decimal("0.20"))
    assert [p.sku for p in parsed.products] == ["BOUGIE-AMBRE", "COFFRET-DECOUVERTE", "LAMPE-AUTOMNE",
                                                "LIVRE-RECETTES"]
    candle = parsed.products[0]
    assert [(v.name, v.price, v.stock) for v in candle.variants] == [
        ("200 g", Decimal("24.90"), 12), ("400 g", Decimal("39.90"), 0)]
    assert candle.price == Decimal("24.90") and candle.stock == 12 and candle.attributes == {"parfum": "ambre"}
    assert parsed.products[2].vat_rate == Decimal("0.2000") and parsed.products[3].vat_rate == Decimal("0.0550")
    assert parsed.errors == [(8, "sku BAD-PRICE: price 'douze': not an amount: 'douze'"), (9, "sku is empty"),
                             (10, "variant_of 'NOPE': no product with that sku in the file")]


def test_json_lines_refuse_floats_and_keep_exact_decimals() -> None:
    lines = '{"sku": "A", "name": "Savon", "price": "8.90", "stock": 3}\n{"sku": "B", "name": "X", "price": 0.1}\n[]\n'
    parsed = parse_catalogue(lines.encode(), "EUR", Decimal("0.20"))
    assert [(p.sku, p.price) for p in parsed.products] == [("A", Decimal("8.90")), ("B", Decimal("0.10"))]
    assert parsed.errors == [(3, "not a JSON object")]


def run_cli(db_dsn: str, data_dir: Path, *args: str) -> tuple[int, str, str]:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": db_dsn, "COMPTOIR_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-m", "comptoir", *args], capture_output=True, text=True, env=env,
                          timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_catalogue_import_cli_exit_codes(db_dsn: str, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"sku": "CLI-1", "name": "Savon au miel", "price": "6,50", "category": "savons"}\n')
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,price\nCLI-2,Savon,4.00\nCLI-3,Savon,-1\n")
    assert run_cli(db_dsn, tmp_path, "catalogue", "import", str(good))[:2] == (
        0, "imported 1 product(s), 0 variant(s)\n")
    code, out, err = run_cli(db_dsn, tmp_path, "catalogue", "import", str(bad), "--strict")
    assert code == 2 and f"{bad}:3: sku CLI-3: price '-1': negative amount: -1" in err
    assert "nothing imported (--strict and 1 malformed row(s))" in err and "Traceback" not in err
    code, out, err = run_cli(db_dsn, tmp_path, "catalogue", "import", str(bad))
    assert code == 3 and "skipped 1 malformed row(s)" in out
    code, _, err = run_cli(db_dsn, tmp_path, "catalogue", "import", str(tmp_path / "missing.csv"))
    assert code == 2 and err.startswith("comptoir catalogue: error: cannot read")


async def test_search_finds_products_by_name_category_attribute_french_and_english(
        shop: None, make_billing: BillingFactory) -> None:
    billing = make_billing()

    async def names(query: str) -> list[str]:
        found = await catalogue.search(SearchProducts(query=query, limit=3), billing)
        return [p.name for p in found.products]

    assert (await names("bougies ambrées"))[0] == "Bougie Ambre"  # stemmed, accent-folded
    assert (await names("lampe automne"))[0] == "Lampe Lumière d'Automne"
    assert (await names("coffrets"))[0] == "Coffret découverte"  # category
    assert (await names("figue"))[0] == "Coffret découverte"  # description
    assert (await names("recipes cookbook"))[0] == "Livre de recettes"  # English
    assert await names("tronçonneuse") == []


async def test_the_vector_leg_joins_the_lexical_one_when_rag_answers(
        shop: None, make_billing: BillingFactory, pool: asyncpg.Pool) -> None:
    billing = make_billing()
    billing.embed = a_hash_embed()
    assert await products.embed_pending(pool, billing.embed) >= 4
    found = await catalogue.search(SearchProducts(query="laiton chevet", limit=2), billing)
    assert not found.lexical_only and found.products[0].name == "Lampe Lumière d'Automne"

    async def down(texts: list[str]) -> None:
        return None
    billing.embed = down
    found = await catalogue.search(SearchProducts(query="laiton chevet", limit=2), billing)
    assert found.lexical_only and found.products[0].name == "Lampe Lumière d'Automne"


async def test_products_of_another_model_are_embedded_again(
        shop: None, make_billing: BillingFactory, pool: asyncpg.Pool) -> None:
    """rag switched models (RAG_MODEL): vectors of the old one are never matched, so they are redone."""
    first = a_hash_embed()
    assert await products.embed_pending(pool, first) >= 4
    assert await products.embed_pending(pool, first) == 0  # nothing stale: nothing redone

    async def other(texts: list[str]) -> tuple[str, list[list[float]]] | None:
        found = await first(texts)
        assert found is not None
        return "hash-64-b", found[1]
    active = await pool.fetchval("SELECT count(*) FROM billing_products WHERE active")
    assert await products.embed_pending(pool, other) == active
    assert await pool.fetchval("SELECT count(*) FROM billing_products WHERE active AND embedding_model <> "
                               "'hash-64-b'") == 0


async def quote(billing: Billing, *lines: QuoteLineIn) -> QuoteView:
    return await create_quote(CreateQuote(type="product", lines=list(lines), provider="none"), billing)


async def test_quotes_take_catalogue_prices_and_refuse_bad_lines_with_a_reason(
        shop: None, make_billing: BillingFactory) -> None:
    billing = make_billing()
    candle = await products.by_ids(billing.pool, ["file:BOUGIE-AMBRE"])
    v200 = candle["file:BOUGIE-AMBRE"].variants[0]
    made = await quote(billing, QuoteLineIn(product_id="file:BOUGIE-AMBRE", variant_id=v200.id, quantity=3),
                       QuoteLineIn(product_id="file:COFFRET-DECOUVERTE", quantity=1))
    assert [(line.label, line.unit_price, line.line_total) for line in made.lines] == [
        ("Bougie Ambre — 200 g", Decimal("24.90"), Decimal("74.70")),
        ("Coffret découverte", Decimal("35.00"), Decimal("35.00"))]
    assert made.totals.gross == Decimal("109.70") and made.pdf_url
    cases = [
        (QuoteLineIn(product_id="file:NOPE"), "unknown_product", "unknown product 'file:NOPE'"),
        (QuoteLineIn(product_id="file:COFFRET-DECOUVERTE", quantity=0), "bad_request", "at least 1"),
        (QuoteLineIn(product_id="file:COFFRET-DECOUVERTE", quantity=10_000), "bad_request", "at most 1000"),
        (QuoteLineIn(product_id="file:BOUGIE-AMBRE", variant_id="XXL"), "unknown_variant", "no variant 'XXL'"),
        (QuoteLineIn(product_id="file:BOUGIE-AMBRE"), "variant_required", "200 g"),
        (QuoteLineIn(product_id="file:BOUGIE-AMBRE", variant_id="BOUGIE-AMBRE-400"), "out_of_stock",
         "Bougie Ambre — 400 g is out of stock"),
        (QuoteLineIn(product_id="file:LAMPE-AUTOMNE", quantity=3), "out_of_stock", "only 2 × Lampe"),
    ]
    for line, code, text in cases:
        with pytest.raises(QuoteError) as caught:
            await quote(billing, line)
        assert caught.value.code == code and text in caught.value.message, (line, caught.value.message)


async def test_a_pdf_is_refused_with_the_missing_facts_named(shop: None, make_billing: BillingFactory,
                                                             pool: asyncpg.Pool) -> None:
    await set_facts(pool, {"siret": None, "vat_number": None})
    made = await quote(make_billing(), QuoteLineIn(product_id="file:COFFRET-DECOUVERTE"))
    assert made.pdf_url is None
    assert made.pdf_unavailable_reason and "siret, vat_number (or vat_exempt = true)" in made.pdf_unavailable_reason


async def test_wix_first_strict_quotes_wix_products_only_and_never_falls_back_to_stripe(
        shop: None, make_billing: BillingFactory, pool: asyncpg.Pool, wix_fake: FakeWixServer) -> None:
    wix_fake.products["w-1"] = store_product("w-1", "Bougie Wix", "19.90")
    billing = make_billing(payment_provider="stripe")
    await sync.sync_wix(billing)
    await pool.execute("UPDATE app_runtime_state SET value = 'true' WHERE key = 'wixFirstStrict'")
    with pytest.raises(QuoteError) as caught:
        await quote(billing, QuoteLineIn(product_id="file:COFFRET-DECOUVERTE"))
    assert caught.value.code == "not_quotable" and "only Wix catalogue products" in caught.value.message
    made = await create_quote(CreateQuote(type="product", lines=[QuoteLineIn(product_id="wix:w-1")]), billing)
    assert made.wix_checkout_id and not made.stripe_session_id  # Wix, not the configured Stripe
    with pytest.raises(QuoteError, match="Wix only"):
        await create_quote(CreateQuote(type="product", lines=[QuoteLineIn(product_id="wix:w-1")],
                                       provider="stripe"), billing)
    found = await catalogue.search(SearchProducts(query="bougie", limit=5), billing)
    assert {p.source: p.quotable for p in found.products} == {"wix": True, "file": False}


async def test_wix_sync_pages_through_the_catalogue_with_variants_and_stock(
        make_billing: BillingFactory, pool: asyncpg.Pool, wix_fake: FakeWixServer) -> None:
    await pool.execute("TRUNCATE billing_products CASCADE")
    for i in range(230):
        wix_fake.products[f"p{i:04d}"] = store_product(f"p{i:04d}", f"Produit {i}", "10.00", stock=i % 3)
    wix_fake.products["p-var"] = store_product(
        "p-var", "Bougie Ambre", "24.90", description="Cire de soja", option="Poids",
        variants=[("200 g", "24.90", 4), ("400 g", "39.90", 0)], image="https://static.wixstatic.com/a.jpg")
    billing = make_billing()
    report = await sync.sync_wix(billing)
    assert (report.products, report.pages) == (231, 3)
    assert wix_fake.count("POST", "/stores/v1/products/query") == 3
    found = (await products.by_ids(pool, ["wix:p-var"]))["wix:p-var"]
    assert [(v.name, v.price, v.stock, v.in_stock) for v in found.variants] == [
        ("200 g", Decimal("24.90"), 4, True), ("400 g", Decimal("39.90"), 0, False)]
    assert found.description == "Cire de soja" and found.images == ["https://static.wixstatic.com/a.jpg"]
    assert found.attributes == {"Poids": "200 g, 400 g"}
    del wix_fake.products["p0001"]
    assert (await sync.sync_wix(billing)).retired == 1
    assert "wix:p0001" not in await products.by_ids(pool, ["wix:p0001"])


async def test_stripe_products_and_prices_become_catalogue_entries(
        make_billing: BillingFactory, pool: asyncpg.Pool, stripe_fake: FakeStripeServer) -> None:
    for i in range(120):
        stripe_fake.add_product(f"Atelier {i}", [(None, 4500)], metadata={"category": "ateliers"})
    tee = stripe_fake.add_product("T-shirt", [("S", 2000), ("L", 2200)], description="Coton bio",
                                  metadata={"stock": "7", "vat_rate": "0.20"})
    net = stripe_fake.add_product("Kit pro", [(None, 1000)], tax_behavior="exclusive")
    report = await sync.sync_stripe(make_billing())
    assert report.products == 122
    found = await products.by_ids(pool, [f"stripe:{tee}", f"stripe:{net}"])
    assert [(v.name, v.price) for v in found[f"stripe:{tee}"].variants] == [
        ("S", Decimal("20.00")), ("L", Decimal("22.00"))]
    assert found[f"stripe:{tee}"].stock == 7 and found[f"stripe:{net}"].price == Decimal("12.00")  # HT + 20 %


# ---- the service: search request, Wix product webhooks, invoice after a Wix payment ------------------
@pytest.fixture
async def billing_svc(settings: Settings, pool: asyncpg.Pool, tmp_path: Path, stripe_fake: FakeStripeServer,
                      wix_fake: FakeWixServer, wix_signer: WixSigner) -> AsyncIterator[HandlerContext]:
    cfg = billing_config(
        payment_provider="wix", stripe_api_key=STRIPE_KEY, stripe_api_base=stripe_fake.base_url,
        wix_api_key=WIX_KEY, wix_api_base=wix_fake.base_url, wix_site_id="site-1", embed_timeout_s=0.3,
        wix_public_key=wix_signer.public_pem, storage_dir=tmp_path / "files", catalogue_sync_interval_s=3600)
    async with svc.running(settings, pool, deps={"billing_settings": cfg}) as ctx:
        yield ctx


async def send_wix(pool: asyncpg.Pool, signer: WixSigner, event_type: str, domain: dict[str, object]) -> None:
    from datetime import UTC, datetime

    body = signer.sign(event_type, domain).decode()
    async with pool.acquire() as conn, conn.transaction():
        await add_event(conn, WixWebhookReceived(body=body, headers={}, received_at=datetime.now(UTC)),
                        source="gateway")


async def test_product_webhooks_refresh_and_retire_products_and_search_answers_over_the_broker(
        billing_svc: HandlerContext, pool: asyncpg.Pool, wix_fake: FakeWixServer, wix_signer: WixSigner) -> None:
    await pool.execute("TRUNCATE billing_products CASCADE")
    pid = f"w-{uuid.uuid4().hex[:6]}"
    wix_fake.products[pid] = store_product(pid, "Diffuseur en céramique", "45.00", stock=3)
    await send_wix(pool, wix_signer, "com.wix.ecommerce.catalog.api.v1.ProductCreated",
                   wix_fake.product_event(pid, "ProductCreated"))

    async def found(query: str) -> ProductResults | None:
        reply = await billing_svc.rpc.request(SearchProducts.TYPE, SearchProducts(query=query), ProductResults,
                                              timeout=10)
        return reply if reply.products else None

    reply = await eventually(lambda: found("diffuseur"))
    assert reply.products[0].stock == 3 and reply.lexical_only  # no rag running here
    wix_fake.products[pid]["stock"] = {"trackInventory": True, "quantity": 0, "inStock": False}
    await send_wix(pool, wix_signer, "com.wix.ecommerce.catalog.api.v1.ProductChanged",
                   wix_fake.product_event(pid))

    async def out_of_stock() -> bool | None:
        hit = await found("diffuseur")
        return True if hit and hit.products[0].stock == 0 else None
    await eventually(out_of_stock)
    await send_wix(pool, wix_signer, "com.wix.ecommerce.catalog.api.v1.ProductDeleted",
                   wix_fake.product_event(pid, "ProductDeleted"))

    async def gone() -> bool | None:
        return True if await found("diffuseur") is None else None
    await eventually(gone)


async def test_a_paid_wix_checkout_gets_a_paid_invoice_never_sent_and_the_owner_gets_the_same(
        billing_svc: HandlerContext, pool: asyncpg.Pool, wix_fake: FakeWixServer, wix_signer: WixSigner) -> None:
    pid = f"w-{uuid.uuid4().hex[:6]}"
    wix_fake.products[pid] = store_product(pid, "Bougie Figue", "19.90", stock=10)
    await sync.sync_wix(billing_svc.deps["billing"])
    reply = await billing_svc.rpc.request(CreateQuote.TYPE, CreateQuote(
        type="product", email="claire@example.fr", lines=[QuoteLineIn(product_id=f"wix:{pid}", quantity=2)]),
        QuoteReply, timeout=10)
    quote = reply.quote
    assert quote.wix_checkout_id and quote.totals.gross == Decimal("39.80")
    await send_wix(pool, wix_signer, "wix.ecom.v1.order_payment_status_updated",
                   wix_fake.paid_order_event(quote.wix_checkout_id, email="claire@example.fr"))

    async def invoiced() -> asyncpg.Record | None:
        return await pool.fetchrow("SELECT * FROM app_wix_invoices WHERE quote_id = $1", quote.id)
    row = await eventually(invoiced)
    assert row["status"] == "paid" and row["amount"] == Decimal("39.80")
    invoice = wix_fake.invoices[row["wix_invoice_id"]]
    assert invoice["status"] == "Paid" and invoice["payments"][0]["amount"] == "39.80"
    assert wix_fake.count("POST", "/invoices/v2/invoices/") == 1  # the payment only: never sent
    assert json.loads(row["metadata"])["recorded_paid"] if isinstance(row["metadata"], str) else \
        row["metadata"]["recorded_paid"]
    again = await billing_svc.rpc.request(CreateInvoice.TYPE, CreateInvoice(quote_id=quote.id), InvoiceCreated,
                                          timeout=10)
    assert again.wix_invoice_id == row["wix_invoice_id"] and again.status == "paid"
    assert len(wix_fake.invoices) == 1 or sum(1 for i in wix_fake.invoices.values()
                                              if i.get("title", "").endswith(quote.id[:8].upper())) == 1
    with pytest.raises(RemoteError) as caught:
        await billing_svc.rpc.request(CreateQuote.TYPE, CreateQuote(
            type="product", lines=[QuoteLineIn(product_id=f"wix:{pid}", quantity=0)]), QuoteReply, timeout=10)
    assert caught.value.code == "bad_request"
