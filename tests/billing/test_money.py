"""Money: exact decimals, half-up rounding, totals that always add up (property-based)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing import money

# At most 20 lines × 9,999.99 × 100 (+20 % VAT) stays below the NUMERIC(10,2) ceiling.
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999.99"), places=2,
                     allow_nan=False, allow_infinity=False)
quantities = st.integers(min_value=1, max_value=100)
rates = st.sampled_from([Decimal("0"), Decimal("0.021"), Decimal("0.055"), Decimal("0.10"), Decimal("0.20")])
lines = st.lists(st.tuples(prices, quantities), min_size=1, max_size=20)


@given(lines, rates, st.booleans())
def test_gross_is_always_net_plus_vat_to_the_cent(items, rate, inclusive) -> None:
    totals = money.compute_totals([money.line_total(p, q) for p, q in items], rate, inclusive)
    assert totals.gross == totals.net + totals.vat
    for amount in (totals.net, totals.vat, totals.gross):
        assert amount == amount.quantize(money.CENT)
        assert amount >= 0


@given(lines, rates)
def test_vat_inclusive_gross_is_the_sum_of_the_lines_and_vat_is_within_half_a_cent(items, rate) -> None:
    line_totals = [money.line_total(p, q) for p, q in items]
    totals = money.compute_totals(line_totals, rate, prices_include_vat=True)
    assert totals.gross == sum(line_totals)
    exact_net = totals.gross / (1 + rate)
    assert abs(totals.net - exact_net) <= Decimal("0.005")


@given(lines, rates)
def test_vat_exclusive_net_is_the_sum_and_vat_is_the_rounded_rate(items, rate) -> None:
    line_totals = [money.line_total(p, q) for p, q in items]
    totals = money.compute_totals(line_totals, rate, prices_include_vat=False)
    assert totals.net == sum(line_totals)
    assert abs(totals.vat - totals.net * rate) <= Decimal("0.005")


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2), st.booleans())
def test_totals_above_the_column_ceiling_are_refused_not_truncated(excess, inclusive) -> None:
    with pytest.raises(money.MoneyError, match="too large"):
        money.compute_totals([money.MAX_AMOUNT, excess], Decimal("0.20"), inclusive)


@given(st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=6,
                   allow_nan=False, allow_infinity=False))
def test_to_cents_rounds_half_up_away_from_zero_and_stays_within_half_a_cent(value) -> None:
    cents = money.to_cents(value)
    assert abs(cents - value) <= Decimal("0.005")
    assert cents == cents.quantize(money.CENT)


@pytest.mark.parametrize(("value", "expected"), [
    ("0.005", "0.01"), ("0.015", "0.02"), ("2.675", "2.68"), ("1.004", "1.00"), ("-0.005", "-0.01"),
])
def test_half_up_examples_a_float_would_get_wrong(value: str, expected: str) -> None:
    assert money.to_cents(Decimal(value)) == Decimal(expected)


@given(prices, st.sampled_from(["EUR", "USD", "JPY"]))
def test_minor_units_round_trip(amount, currency) -> None:
    if currency == "JPY":
        amount = amount.quantize(Decimal(1))
    assert money.from_minor_units(money.minor_units(amount, currency), currency) == amount


def test_french_vat_example() -> None:
    totals = money.compute_totals([Decimal("37.50"), Decimal("4.99")], Decimal("0.20"), True)
    assert (totals.net, totals.vat, totals.gross) == (Decimal("35.41"), Decimal("7.08"), Decimal("42.49"))
    assert money.format_amount(Decimal("1234.5"), "EUR") == "1 234,50 €"


@pytest.mark.parametrize("bad", ["-1", "abc", "NaN", "Infinity", "100000000", ""])
def test_bad_amounts_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(money.MoneyError):
        money.parse_amount(bad)


def test_floats_are_refused_and_decimal_commas_accepted() -> None:
    with pytest.raises(money.MoneyError, match="float"):
        money.parse_amount(0.1)  # type: ignore[arg-type]
    assert money.parse_amount("12,345") == Decimal("12.35")


@pytest.mark.parametrize("bad", [0, -3, 10**9, True])
def test_bad_quantities_are_refused(bad: int) -> None:
    with pytest.raises(money.MoneyError):
        money.check_quantity(bad)


@pytest.mark.parametrize("bad", ["EURO", "E1R", "€€€", ""])
def test_bad_currencies_are_refused(bad: str) -> None:
    with pytest.raises(money.MoneyError):
        money.check_currency(bad)
