"""Exact money arithmetic: Decimal everywhere, rounding half-up to the cent.

The invariant every total keeps: gross == net + vat, each to the cent. With VAT-inclusive prices
(the French B2C norm) the gross is the sum of the lines and the VAT is extracted from it once, on
the total, so the displayed lines and the payable amount never disagree by a rounding cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from libs.common.errors import ComptoirError

CENT = Decimal("0.01")
# NUMERIC(10,2) columns hold at most 99,999,999.99.
MAX_AMOUNT = Decimal("99999999.99")
MAX_QUANTITY = 100_000
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "XOF", "XAF", "XPF"})


class MoneyError(ComptoirError):
    """An amount, quantity or currency that cannot be billed."""


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str | Decimal | int) -> Decimal:
    """A non-negative finite amount rounded to the cent; floats are refused (binary rounding)."""
    if isinstance(text, float):
        raise MoneyError("amounts must be given as decimal strings, not floats")
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"not a finite amount: {text!r}")
    if value < 0:
        raise MoneyError(f"negative amount: {text}")
    if value > MAX_AMOUNT:
        raise MoneyError(f"amount too large: {text}")
    return to_cents(value)


def check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise MoneyError(f"quantity must be a whole number: {quantity!r}")
    if quantity < 1:
        raise MoneyError(f"quantity must be at least 1: {quantity}")
    if quantity > MAX_QUANTITY:
        raise MoneyError(f"quantity too large: {quantity}")
    return quantity


def check_currency(code: str) -> str:
    code = code.strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise MoneyError(f"not an ISO 4217 currency code: {code!r}")
    return code


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_rate: Decimal
    prices_include_vat: bool


def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    return to_cents(unit_price * quantity)


def compute_totals(line_totals: Iterable[Decimal], vat_rate: Decimal, prices_include_vat: bool) -> Totals:
    """Totals of lines whose own totals are already in cents."""
    if vat_rate < 0 or vat_rate > 1:
        raise MoneyError(f"VAT rate out of range: {vat_rate}")
    base = sum(line_totals, Decimal("0.00"))
    if prices_include_vat:
        gross = base
        net = to_cents(gross / (1 + vat_rate))
        vat = gross - net
    else:
        net = base
        vat = to_cents(net * vat_rate)
        gross = net + vat
    if gross > MAX_AMOUNT:
        raise MoneyError(f"total too large: {gross}")
    return Totals(net=net, vat=vat, gross=gross, vat_rate=vat_rate, prices_include_vat=prices_include_vat)


def minor_units(amount: Decimal, currency: str) -> int:
    """Integer amount in the currency's smallest unit, as Stripe expects."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    scaled = (amount * (10**exponent)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def from_minor_units(amount: int, currency: str) -> Decimal:
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return to_cents(Decimal(amount) / (10**exponent))


def format_amount(amount: Decimal, currency: str, locale: str = "fr_FR") -> str:
    """Money as the locale writes it (Babel/CLDR): `1 234,50 €` in French, `€1,234.50` in English.

    CLDR's narrow and no-break spaces become plain spaces: the PDF's core font and terminals show them.
    """
    from babel.numbers import format_currency

    text = format_currency(to_cents(amount), currency.upper(), locale=locale)
    return text.replace("\u202f", " ").replace("\xa0", " ")
