"""Quote rules: lines from a request (free or catalogue), totals, validity, what may be paid."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from libs.common.events.billing import (
    CreateQuote,
    ProductView,
    QuoteLine,
    QuoteLineIn,
    QuoteTotals,
    QuoteView,
    VatBreakdown,
)
from services.billing import money
from services.billing.config import BillingSettings
from services.billing.errors import QuoteError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Product:
    """A Wix product as the provider cache (app_product_cache) holds it."""

    id: str
    name: str
    price: Decimal
    currency: str


@dataclass(frozen=True)
class QuotePolicy:
    """What may be quoted: the `wixFirstStrict` flag and the largest quantity of one line."""

    wix_only: bool = False
    max_quantity: int = 1000


Catalogue = Mapping[str, "ProductView | Product"]


def cached_view(product: Product, vat_rate: Decimal, at: datetime) -> ProductView:
    """A provider-cache product as a catalogue entry (stock not tracked, the default VAT rate)."""
    return ProductView(id=product.id, source="wix", name=product.name, price=product.price,
                       currency=product.currency, vat_rate=vat_rate, synced_at=at)


def _product_line(line: QuoteLineIn, products: Catalogue, currency: str, policy: QuotePolicy,
                  default_vat: Decimal) -> QuoteLine:
    assert line.product_id is not None
    found = products.get(line.product_id)
    product = cached_view(found, default_vat, datetime.now(UTC)) if isinstance(found, Product) else found
    if product is None:
        raise QuoteError("unknown_product", f"unknown product {line.product_id!r}")
    if policy.wix_only and product.source != "wix":
        raise QuoteError("not_quotable", f"{product.name} comes from the {product.source} catalogue; "
                         "with wixFirstStrict only Wix catalogue products can be quoted")
    if product.currency != currency:
        raise QuoteError(
            "currency_mismatch",
            f"product {product.id!r} is priced in {product.currency}, the quote is in {currency}",
        )
    quantity = money.check_quantity(line.quantity)
    if quantity > policy.max_quantity:
        raise QuoteError("bad_request", f"quantity {quantity} of {product.name}: a quote line holds at most "
                         f"{policy.max_quantity}; for more, ask the shop")
    label, price, stock, in_stock = product.name, product.price, product.stock, product.in_stock
    if product.variants:
        choices = ", ".join(f"{v.name} ({v.id})" for v in product.variants)
        if line.variant_id is None:
            raise QuoteError("variant_required", f"{product.name} comes in several variants: {choices}")
        variant = next((v for v in product.variants if v.id == line.variant_id), None)
        if variant is None:
            raise QuoteError("unknown_variant", f"{product.name} has no variant {line.variant_id!r} "
                             f"(variants: {choices})")
        label, price, stock, in_stock = f"{product.name} — {variant.name}", variant.price, variant.stock, \
            variant.in_stock
    elif line.variant_id is not None:
        raise QuoteError("unknown_variant", f"{product.name} has no variants (asked for {line.variant_id!r})")
    synced = f"stock at the last sync, {product.synced_at:%Y-%m-%d %H:%M} UTC"
    if not in_stock or (stock is not None and stock <= 0):
        raise QuoteError("out_of_stock", f"{label} is out of stock ({synced})")
    if stock is not None and quantity > stock:
        raise QuoteError("out_of_stock", f"only {stock} × {label} in stock ({synced}), {quantity} asked")
    return QuoteLine(label=line.label or label, unit_price=price, quantity=quantity,
                     line_total=money.line_total(price, quantity), product_id=product.id,
                     variant_id=line.variant_id, vat_rate=product.vat_rate)


def _free_line(line: QuoteLineIn) -> QuoteLine:
    if not line.label or not line.label.strip():
        raise QuoteError("bad_request", "a free line needs a label")
    if line.unit_price is None:
        raise QuoteError("bad_request", f"line {line.label!r} needs a unit_price")
    price = money.parse_amount(line.unit_price)
    quantity = money.check_quantity(line.quantity)
    return QuoteLine(label=line.label.strip(), unit_price=price, quantity=quantity,
                     line_total=money.line_total(price, quantity))


def build_lines(req: CreateQuote, products: Catalogue, currency: str,
                policy: QuotePolicy | None = None, default_vat: Decimal = Decimal("0.20")) -> list[QuoteLine]:
    lines: list[QuoteLine] = []
    for line in req.lines:
        if req.type == "product" and line.product_id is None:
            raise QuoteError("bad_request", "every line of a product quote names a product_id")
        try:
            built = (_product_line(line, products, currency, policy or QuotePolicy(), default_vat) if line.product_id
                     else _free_line(line))
        except money.MoneyError as exc:
            raise QuoteError("bad_request", str(exc)) from exc
        lines.append(built)
    return lines


def breakdown(lines: list[QuoteLine], default_rate: Decimal, prices_include_vat: bool) -> list[VatBreakdown]:
    """Net, VAT and gross per VAT rate, each computed on its lines' total (as the totals are)."""
    groups: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        rate = line.vat_rate if line.vat_rate is not None else default_rate
        groups.setdefault(rate, []).append(line.line_total)
    out = []
    for rate in sorted(groups):
        t = money.compute_totals(groups[rate], rate, prices_include_vat)
        out.append(VatBreakdown(rate=rate, net=t.net, vat=t.vat, gross=t.gross))
    return out


def totals_of(lines: list[QuoteLine], cfg: BillingSettings) -> QuoteTotals:
    try:
        groups = breakdown(lines, cfg.vat_rate, cfg.prices_include_vat)
        gross = sum((g.gross for g in groups), Decimal("0.00"))
        if gross > money.MAX_AMOUNT:
            raise money.MoneyError(f"total too large: {gross}")
    except money.MoneyError as exc:
        raise QuoteError("bad_request", str(exc)) from exc
    # the quote's headline rate: the only one, or the rate of the largest share
    main = max(groups, key=lambda g: g.gross).rate if groups else cfg.vat_rate
    return QuoteTotals(net=sum((g.net for g in groups), Decimal("0.00")),
                       vat=sum((g.vat for g in groups), Decimal("0.00")), gross=gross, vat_rate=main,
                       prices_include_vat=cfg.prices_include_vat, by_rate=groups)


def new_quote(
    req: CreateQuote, products: Catalogue, cfg: BillingSettings, now: datetime,
    policy: QuotePolicy | None = None, quote_id: str | None = None,
) -> QuoteView:
    """A pending quote (not yet stored) for a validated request (`quote_id`: a random one if None)."""
    try:
        currency = money.check_currency(req.currency)
    except money.MoneyError as exc:
        raise QuoteError("bad_request", str(exc)) from exc
    email = req.email.strip().lower() if req.email and req.email.strip() else None
    if email is not None and not _EMAIL.match(email):
        raise QuoteError("bad_request", f"not an e-mail address: {req.email!r}")
    lines = build_lines(req, products, currency, policy, cfg.vat_rate)
    hours = req.validity_hours or cfg.quote_validity_hours
    return QuoteView(
        id=quote_id or str(uuid.uuid4()), type=req.type, status="pending", session_id=req.session_id,
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
