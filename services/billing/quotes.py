"""Quote rules: lines from a request (free or catalogue), totals, validity, what may be paid."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from libs.common.events.billing import CreateQuote, QuoteLine, QuoteLineIn, QuoteTotals, QuoteView
from services.billing import money
from services.billing.config import BillingSettings
from services.billing.errors import QuoteError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    price: Decimal
    currency: str


def _product_line(line: QuoteLineIn, products: dict[str, Product], currency: str) -> QuoteLine:
    assert line.product_id is not None
    product = products.get(line.product_id)
    if product is None:
        raise QuoteError("unknown_product", f"unknown product {line.product_id!r}")
    if product.currency != currency:
        raise QuoteError(
            "currency_mismatch",
            f"product {product.id!r} is priced in {product.currency}, the quote is in {currency}",
        )
    quantity = money.check_quantity(line.quantity)
    return QuoteLine(label=line.label or product.name, unit_price=product.price, quantity=quantity,
                     line_total=money.line_total(product.price, quantity), product_id=product.id)


def _free_line(line: QuoteLineIn) -> QuoteLine:
    if not line.label or not line.label.strip():
        raise QuoteError("bad_request", "a free line needs a label")
    if line.unit_price is None:
        raise QuoteError("bad_request", f"line {line.label!r} needs a unit_price")
    price = money.parse_amount(line.unit_price)
    quantity = money.check_quantity(line.quantity)
    return QuoteLine(label=line.label.strip(), unit_price=price, quantity=quantity,
                     line_total=money.line_total(price, quantity))


def build_lines(req: CreateQuote, products: dict[str, Product], currency: str) -> list[QuoteLine]:
    lines: list[QuoteLine] = []
    for line in req.lines:
        if req.type == "product" and line.product_id is None:
            raise QuoteError("bad_request", "every line of a product quote names a product_id")
        try:
            built = _product_line(line, products, currency) if line.product_id else _free_line(line)
        except money.MoneyError as exc:
            raise QuoteError("bad_request", str(exc)) from exc
        lines.append(built)
    return lines


def totals_of(lines: list[QuoteLine], cfg: BillingSettings) -> QuoteTotals:
    try:
        t = money.compute_totals((line.line_total for line in lines), cfg.vat_rate, cfg.prices_include_vat)
    except money.MoneyError as exc:
        raise QuoteError("bad_request", str(exc)) from exc
    return QuoteTotals(net=t.net, vat=t.vat, gross=t.gross, vat_rate=t.vat_rate,
                       prices_include_vat=t.prices_include_vat)


def new_quote(
    req: CreateQuote, products: dict[str, Product], cfg: BillingSettings, now: datetime
) -> QuoteView:
    """A pending quote (not yet stored) for a validated request."""
    try:
        currency = money.check_currency(req.currency)
    except money.MoneyError as exc:
        raise QuoteError("bad_request", str(exc)) from exc
    email = req.email.strip().lower() if req.email and req.email.strip() else None
    if email is not None and not _EMAIL.match(email):
        raise QuoteError("bad_request", f"not an e-mail address: {req.email!r}")
    lines = build_lines(req, products, currency)
    hours = req.validity_hours or cfg.quote_validity_hours
    return QuoteView(
        id=str(uuid.uuid4()), type=req.type, status="pending", session_id=req.session_id,
        email=email, currency=currency, lines=lines,
        totals=totals_of(lines, cfg), created_at=now, expires_at=now + timedelta(hours=hours),
    )


def ensure_payable(quote: QuoteView, now: datetime) -> None:
    if quote.status != "pending":
        raise QuoteError("invalid_state", f"quote {quote.id} is {quote.status}, not pending")
    if quote.expires_at <= now:
        raise QuoteError("expired", f"quote {quote.id} expired at {quote.expires_at.isoformat()}")
    if quote.totals.gross <= 0:
        raise QuoteError("bad_request", f"quote {quote.id} has nothing to pay")


def parse_cli_line(text: str) -> QuoteLineIn:
    """`Label:unit_price:qty` (label may contain colons; price may use a decimal comma)."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[0].strip():
        raise QuoteError("bad_request", f"line must look like 'Label:unit_price:qty': {text!r}")
    label, price, qty = parts
    try:
        quantity = int(qty.strip())
    except ValueError as exc:
        raise QuoteError("bad_request", f"quantity is not a whole number in {text!r}") from exc
    try:
        unit_price = money.parse_amount(price)
    except money.MoneyError as exc:
        raise QuoteError("bad_request", f"{exc} in {text!r}") from exc
    return QuoteLineIn(label=label.strip(), unit_price=unit_price, quantity=quantity)
