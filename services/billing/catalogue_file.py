"""A catalogue file (CSV with a header, or JSON lines) read into product records, row by row.

Fields: `sku, name, description, price, currency, vat_rate, stock, category, variant_of, image_url`.
`price` is VAT included (a decimal with `.` or `,`, never a float in JSON); `vat_rate` a fraction
(0.20) or a percentage (20 / 20 %); `stock` empty for "not tracked"; `variant_of` the SKU of the
product this row is a variant of (its `name` is then the variant's label, e.g. "200 g"). Columns
other than these become the product's attributes. A malformed row is reported with its line number.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from services.billing.money import MoneyError, check_currency, parse_amount
from services.billing.products import ProductRecord, VariantRecord

FIELDS = ("sku", "name", "description", "price", "currency", "vat_rate", "stock", "category", "variant_of",
          "image_url")
REQUIRED = ("sku", "name", "price")
MAX_STOCK = 10_000_000


@dataclass
class ParsedFile:
    products: list[ProductRecord] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    rows: int = 0

    @property
    def variants(self) -> int:
        return sum(len(p.variants) for p in self.products)


class RowError(ValueError):
    pass


def parse_catalogue(data: bytes, default_currency: str, default_vat: Decimal) -> ParsedFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RowError(f"the file is not UTF-8 text (byte {exc.start})") from exc
    stripped = text.lstrip()
    rows = list(_json_lines(text) if stripped.startswith("{") else _csv_rows(text))
    out = ParsedFile(rows=len(rows))
    parents: dict[str, ProductRecord] = {}
    parent_line: dict[str, int] = {}
    pending_variants: list[tuple[int, str, VariantRecord]] = []
    for line, row in rows:
        if isinstance(row, str):
            out.errors.append((line, row))
            continue
        try:
            record, parent = _record(row, default_currency, default_vat)
        except RowError as exc:
            out.errors.append((line, str(exc)))
            continue
        if parent is not None:
            variant = VariantRecord(variant_id=record.source_id, name=record.name, price=record.price,
                                    sku=record.sku, stock=record.stock, in_stock=record.in_stock)
            pending_variants.append((line, parent, variant))
        elif record.source_id in parents:
            out.errors.append((line, f"duplicate sku {record.source_id!r} (first on line "
                                     f"{parent_line[record.source_id]})"))
        else:
            parents[record.source_id] = record
            parent_line[record.source_id] = line
    variants: dict[str, list[VariantRecord]] = {}
    for line, parent, variant in pending_variants:
        if parent not in parents:
            out.errors.append((line, f"variant_of {parent!r}: no product with that sku in the file"))
        elif any(v.variant_id == variant.variant_id for v in variants.get(parent, [])):
            out.errors.append((line, f"duplicate variant sku {variant.variant_id!r}"))
        else:
            variants.setdefault(parent, []).append(variant)
    for sku, record in parents.items():
        own = variants.get(sku, [])
        if own:
            stock = None if any(v.stock is None for v in own) else sum(v.stock or 0 for v in own)
            record = replace(record, variants=tuple(own), price=min(v.price for v in own), stock=stock,
                             in_stock=any(v.in_stock for v in own))
        out.products.append(record)
    out.errors.sort()
    return out


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return []
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise RowError(f"line 1: the header lacks {', '.join(missing)} (needs {', '.join(FIELDS)})")
    rows: list[tuple[int, dict[str, Any] | str]] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            rows.append((line, f"{len(values)} fields where the header has {len(header)}"))
            continue
        rows.append((line, dict(zip(header, values, strict=True))))
    return rows


def _json_lines(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    rows: list[tuple[int, dict[str, Any] | str]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw, parse_float=lambda s: _Float(s))
        except ValueError as exc:
            rows.append((line, f"not JSON: {exc}"))
            continue
        if not isinstance(value, dict):
            rows.append((line, "not a JSON object"))
            continue
        rows.append((line, {str(k).lower(): v for k, v in value.items()}))
    return rows


class _Float(str):
    """A JSON number with a fraction, kept as text so it is never a binary float."""


def _text(row: dict[str, Any], key: str, limit: int = 300) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise RowError(f"{key} must be text")
    text = str(value).strip()
    if len(text) > limit:
        raise RowError(f"{key} longer than {limit} characters")
    return text


def _record(row: dict[str, Any], default_currency: str, default_vat: Decimal) -> tuple[ProductRecord, str | None]:
    sku, name = _text(row, "sku", 100), _text(row, "name")
    if not sku:
        raise RowError("sku is empty")
    if not name:
        raise RowError(f"sku {sku}: name is empty")
    raw_price = row.get("price")
    if raw_price is None or str(raw_price).strip() == "":
        raise RowError(f"sku {sku}: price is empty")
    if isinstance(raw_price, bool):
        raise RowError(f"sku {sku}: price {raw_price!r} is not an amount")
    try:
        price = parse_amount(str(raw_price).replace("€", "").replace("\u00a0", "").replace(" ", ""))
    except MoneyError as exc:
        raise RowError(f"sku {sku}: price {raw_price!r}: {exc}") from exc
    try:
        currency = check_currency(_text(row, "currency") or default_currency)
    except MoneyError as exc:
        raise RowError(f"sku {sku}: {exc}") from exc
    vat = _vat(_text(row, "vat_rate"), default_vat, sku)
    stock = _stock(_text(row, "stock"), sku)
    image = _text(row, "image_url", 2000)
    if image and not image.startswith(("http://", "https://")):
        raise RowError(f"sku {sku}: image_url {image!r} is not an http(s) URL")
    attributes = {k: _text(row, k) for k in row if k not in FIELDS and _text(row, k)}
    record = ProductRecord(
        source="file", source_id=sku, sku=sku, name=name, price=price, currency=currency, vat_rate=vat,
        description=_text(row, "description", 5000), category=_text(row, "category") or None,
        attributes=attributes, stock=stock, in_stock=stock is None or stock > 0,
        images=(image,) if image else ())
    parent = _text(row, "variant_of", 100) or None
    if parent == sku:
        raise RowError(f"sku {sku}: a product cannot be a variant of itself")
    return record, parent


def _vat(text: str, default: Decimal, sku: str) -> Decimal:
    if not text:
        return default
    try:
        value = Decimal(text.replace("%", "").replace(",", ".").strip())
    except InvalidOperation as exc:
        raise RowError(f"sku {sku}: vat_rate {text!r} is not a number") from exc
    if not value.is_finite() or value < 0:
        raise RowError(f"sku {sku}: vat_rate {text!r} is out of range")
    if value > 1:  # given as a percentage
        value = value / 100
    if value > 1:
        raise RowError(f"sku {sku}: vat_rate {text!r} is out of range")
    return value.quantize(Decimal("0.0001"))


def _stock(text: str, sku: str) -> int | None:
    if not text:
        return None
    try:
        value = int(text)
    except ValueError as exc:
        raise RowError(f"sku {sku}: stock {text!r} is not a whole number") from exc
    if value < 0 or value > MAX_STOCK:
        raise RowError(f"sku {sku}: stock {value} is out of range")
    return value
