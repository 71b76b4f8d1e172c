"""Quote rules without I/O: lines, totals, validity, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from libs.common.events.billing import CreateQuote, QuoteLineIn
from services.billing.config import BillingSettings
from services.billing.errors import QuoteError
from services.billing.quotes import Product, ensure_payable, new_quote, parse_cli_line

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CFG = BillingSettings(_env_file=None)
CATALOG = {"p-1": Product("p-1", "Savon au lait d'ânesse", Decimal("8.90"), "EUR"),
           "p-usd": Product("p-usd", "Imported soap", Decimal("9.00"), "USD")}


def free(label: str, price: str, qty: int = 1) -> QuoteLineIn:
    return QuoteLineIn(label=label, unit_price=Decimal(price), quantity=qty)


def test_a_custom_quote_totals_vat_inclusive_prices_and_expires_in_48_hours() -> None:
    quote = new_quote(CreateQuote(lines=[free("Atelier", "120.00"), free("Kit", "15.50", 2)],
                                  email=" Marie@Example.FR "), {}, CFG, NOW)
    assert quote.status == "pending" and quote.currency == "EUR"
    assert quote.email == "marie@example.fr"
    assert [line.line_total for line in quote.lines] == [Decimal("120.00"), Decimal("31.00")]
    assert quote.totals.gross == Decimal("151.00")
    assert quote.totals.net == Decimal("125.83") and quote.totals.vat == Decimal("25.17")
    assert quote.expires_at - quote.created_at == timedelta(hours=48)


def test_product_lines_take_name_and_price_from_the_catalogue() -> None:
    quote = new_quote(CreateQuote(type="product", lines=[QuoteLineIn(product_id="p-1", quantity=3)]),
                      CATALOG, CFG, NOW)
    assert quote.lines[0].label == "Savon au lait d'ânesse"
    assert quote.lines[0].line_total == Decimal("26.70")


@pytest.mark.parametrize(("req", "code"), [
    (CreateQuote(type="product", lines=[QuoteLineIn(product_id="nope")]), "unknown_product"),
    (CreateQuote(type="product", lines=[QuoteLineIn(product_id="p-usd")]), "currency_mismatch"),
    (CreateQuote(type="product", lines=[QuoteLineIn(label="x", unit_price=Decimal(1))]), "bad_request"),
    (CreateQuote(lines=[free("Kit", "5.00", -2)]), "bad_request"),
    (CreateQuote(lines=[free("Kit", "-5.00")]), "bad_request"),
    (CreateQuote(lines=[QuoteLineIn(label="Sans prix")]), "bad_request"),
    (CreateQuote(lines=[free("Kit", "5.00")], currency="E1R"), "bad_request"),
    (CreateQuote(lines=[free("Kit", "5.00")], email="marie at example"), "bad_request"),
])
def test_bad_requests_get_a_typed_error(req: CreateQuote, code: str) -> None:
    with pytest.raises(QuoteError) as err:
        new_quote(req, CATALOG, CFG, NOW)
    assert err.value.code == code
    assert err.value.message


def test_an_empty_quote_is_refused_by_the_schema() -> None:
    with pytest.raises(ValidationError):
        CreateQuote(lines=[])


def test_only_a_pending_unexpired_quote_with_something_to_pay_is_payable() -> None:
    quote = new_quote(CreateQuote(lines=[free("Kit", "5.00")]), {}, CFG, NOW)
    ensure_payable(quote, NOW)
    with pytest.raises(QuoteError, match="expired"):
        ensure_payable(quote, NOW + timedelta(hours=49))
    with pytest.raises(QuoteError, match="paid"):
        ensure_payable(quote.model_copy(update={"status": "paid"}), NOW)
    zero = new_quote(CreateQuote(lines=[free("Offert", "0")]), {}, CFG, NOW)
    with pytest.raises(QuoteError, match="nothing to pay"):
        ensure_payable(zero, NOW)


def test_cli_lines_parse_labels_with_colons_and_decimal_commas() -> None:
    line = parse_cli_line("Formation : niveau 2:149,90:3")
    assert (line.label, line.unit_price, line.quantity) == ("Formation : niveau 2", Decimal("149.90"), 3)


@pytest.mark.parametrize("bad", ["no-price", "Kit:abc:1", "Kit:5:x", ":5:1", "Kit:-5:1"])
def test_bad_cli_lines_are_refused(bad: str) -> None:
    with pytest.raises(QuoteError):
        parse_cli_line(bad)
