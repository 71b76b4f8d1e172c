"""The PDF quote, rendered and read back; the storage it goes to."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import pypdf
import pytest

from libs.common.events.billing import CreateQuote, QuoteLineIn
from libs.storage.postgres import PostgresStorage
from services.billing.config import BillingSettings
from services.billing.pdf import LegalFactsMissing, render_quote_pdf
from services.billing.quotes import new_quote
from services.billing.storage import QuoteFiles, StorageError, quote_pdf_key

FACTS = {"brand_name": "Maison Élodie", "contact_email": "bonjour@elodie.fr", "app_name": "[APP_NAME]",
         "legal_name": "Élodie Martin EI", "legal_address": "3 place du Marché, 44000 Nantes",
         "siret": "123 456 789 00012", "vat_number": "FR32123456789"}


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def a_quote(lines: list[QuoteLineIn], **update: object):
    quote = new_quote(CreateQuote(email="Zoé@example.fr", lines=lines), {}, BillingSettings(_env_file=None),
                      datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    return quote.model_copy(update=update)


def test_the_pdf_shows_brand_lines_totals_validity_and_payment_link() -> None:
    quote = a_quote([QuoteLineIn(label="Crème « bio » à l'œillet", unit_price=Decimal("12.50"), quantity=3),
                     QuoteLineIn(label="Livraison 🚚 express", unit_price=Decimal("1234.99"), quantity=1)],
                    checkout_url="https://checkout.stripe.com/c/pay/cs_test_abc")
    pdf = render_quote_pdf(quote, FACTS)
    text = text_of(pdf)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4
    for expected in ("Maison Élodie", "bonjour@elodie.fr", "DEVIS", f"Devis n° D20261125-{quote.id[:8].upper()}",
                     "date : 25/11/2026", "Élodie Martin EI", "3 place du Marché, 44000 Nantes",
                     "SIRET : 123 456 789 00012", "N° TVA intracommunautaire : FR32123456789",
                     "Crème « bio » à l'œillet", "PU HT", "PU TTC", "10,42 €", "12,50 €", "37,50 €",
                     "1 234,99 €", "Total HT", "TVA 20 % sur 1 060,41 €", "212,08 €",
                     "Total TTC", "1 272,49 €", "Valable jusqu'au 27/11/2026 à 10:30", "cs_test_abc",
                     "zoé@example.fr", "Conditions de paiement"):
        assert expected in text, expected
    assert "[APP_NAME]" not in text and "Comptoir" not in text
    assert "Livraison ? express" in text  # outside Windows-1252: replaced, not a crash


def test_dates_and_times_are_the_shops_time_zone() -> None:
    from zoneinfo import ZoneInfo

    # created 25/11 23:30 UTC: already the 26th in Paris, still the 25th in Montreal
    quote = a_quote([QuoteLineIn(label="Bougie", unit_price=Decimal("24.90"))]).model_copy(update={
        "created_at": datetime(2026, 11, 25, 23, 30, tzinfo=UTC), "expires_at": datetime(2026, 11, 27, 23, 30,
                                                                                          tzinfo=UTC)})
    paris = text_of(render_quote_pdf(quote, FACTS))
    assert "date : 26/11/2026" in paris and "Valable jusqu'au 28/11/2026 à 00:30 (heure de Paris)" in paris
    assert f"D20261126-{quote.id[:8].upper()}" in paris
    montreal = text_of(render_quote_pdf(quote, FACTS, zone=ZoneInfo("America/Montreal")))
    assert "date : 25/11/2026" in montreal and "Valable jusqu'au 27/11/2026 à 18:30 (heure de Montreal)" in montreal
    assert f"D20261125-{quote.id[:8].upper()}" in montreal


def test_a_long_quote_flows_onto_a_second_page_with_page_numbers() -> None:
    lines = [QuoteLineIn(label=f"Article n° {i}", unit_price=Decimal("1.10"), quantity=i + 1) for i in range(60)]
    reader = pypdf.PdfReader(io.BytesIO(render_quote_pdf(a_quote(lines), FACTS)))
    assert len(reader.pages) >= 2
    assert "Page 2/" in reader.pages[1].extract_text()
    assert "Maison Élodie" in reader.pages[0].extract_text()


def test_a_vat_exempt_seller_prints_the_293_b_mention_and_no_vat() -> None:
    facts = {**FACTS, "vat_number": "", "vat_exempt": "true"}
    text = text_of(render_quote_pdf(a_quote([QuoteLineIn(label="Bougie", unit_price=Decimal("24.90"))]), facts))
    assert "TVA non applicable, art. 293 B du CGI" in text and "intracommunautaire" not in text
    assert "24,90 €" in text


def test_several_vat_rates_each_get_their_line(tmp_path: Path) -> None:
    from libs.common.events.billing import ProductView

    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    book = ProductView(id="file:LIVRE", source="file", name="Livre de recettes", price=Decimal("21.10"),
                       currency="EUR", vat_rate=Decimal("0.055"), synced_at=now)
    candle = ProductView(id="file:BOUGIE", source="file", name="Bougie", price=Decimal("24.90"), currency="EUR",
                         vat_rate=Decimal("0.20"), synced_at=now)
    req = CreateQuote(type="product", lines=[QuoteLineIn(product_id="file:LIVRE"),
                                             QuoteLineIn(product_id="file:BOUGIE", quantity=2)])
    quote = new_quote(req, {"file:LIVRE": book, "file:BOUGIE": candle}, BillingSettings(_env_file=None), now)
    assert [(g.rate, g.net, g.vat) for g in quote.totals.by_rate] == [
        (Decimal("0.055"), Decimal("20.00"), Decimal("1.10")), (Decimal("0.20"), Decimal("41.50"), Decimal("8.30"))]
    assert quote.totals.gross == quote.totals.net + quote.totals.vat == Decimal("70.90")
    text = text_of(render_quote_pdf(quote, FACTS))
    assert "TVA 5,5 % sur 20,00 €" in text and "TVA 20 % sur 41,50 €" in text and "70,90 €" in text


def test_no_pdf_without_the_sellers_legal_facts() -> None:
    quote = a_quote([QuoteLineIn(label="Bougie", unit_price=Decimal("24.90"))])
    with pytest.raises(LegalFactsMissing) as caught:
        render_quote_pdf(quote, {"brand_name": "Maison Élodie", "siret": "[SIRET]"})
    assert caught.value.missing == ["legal_name", "legal_address", "siret", "vat_number (or vat_exempt = true)"]


def test_a_unicode_ttf_can_be_configured() -> None:
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.exists():
        pytest.skip("no DejaVu font on this machine")
    quote = a_quote([QuoteLineIn(label="Чай ☕ thé", unit_price=Decimal("3.00"))])
    assert "Чай ☕ thé" in text_of(render_quote_pdf(quote, FACTS, font))


async def test_quote_files_store_through_the_port_and_link_through_the_gateway(pool: asyncpg.Pool) -> None:
    storage = QuoteFiles(PostgresStorage(pool, "billing", 1_000_000), "https://shop.example/v1/files/")
    key = quote_pdf_key("0b6f3f7e-8d1c-4c55-9d0e-5a3c1d2e4f60")
    url = await storage.put(key, b"%PDF-1.4 x", "application/pdf")
    assert url == "https://shop.example/v1/files/quotes/0b6f3f7e-8d1c-4c55-9d0e-5a3c1d2e4f60.pdf"
    assert await storage.get(key) == b"%PDF-1.4 x"
    row = await pool.fetchrow("SELECT content_type, written_by FROM app_files WHERE key = $1", key)
    assert row is not None and (row["content_type"], row["written_by"]) == ("application/pdf", "billing")
    for bad in ("../etc/passwd", "/abs.pdf", "quotes/../../x", ""):
        with pytest.raises(StorageError):
            await storage.put(bad, b"x", "application/pdf")
    with pytest.raises(StorageError, match="no stored file"):
        await storage.get("quotes/missing.pdf")
