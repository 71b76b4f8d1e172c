"""Message schemas owned by the billing service: quotes, checkouts, payments, invoices, webhooks.

Money travels as decimal strings (pydantic serialises `Decimal` that way), never as floats.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from libs.common.messages import Message, message_type

QuoteType = Literal["product", "custom", "pdf"]
QuoteStatus = Literal["pending", "paid", "expired", "cancelled"]
Provider = Literal["stripe", "wix"]
InvoiceStatus = Literal["draft", "sent", "paid", "overdue", "cancelled"]

MAX_LINES = 100
MAX_WEBHOOK_BYTES = 1_000_000


class QuoteLineIn(Message):
    """One requested line: a free line (label + unit_price) or a catalogue product (product_id)."""

    label: str | None = Field(None, max_length=300)
    unit_price: Decimal | None = None
    quantity: int = 1
    product_id: str | None = Field(None, max_length=200)
    variant_id: str | None = Field(None, max_length=200)


class QuoteLine(Message):
    label: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal
    product_id: str | None = None
    variant_id: str | None = None
    # the line's own VAT rate (catalogue products carry theirs); None: the quote's rate
    vat_rate: Decimal | None = None


class VatBreakdown(Message):
    """Net, VAT and gross of the lines taxed at one rate."""

    rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


class QuoteTotals(Message):
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_rate: Decimal
    prices_include_vat: bool
    by_rate: list[VatBreakdown] = Field(default_factory=list)


class QuoteView(Message):
    id: str
    type: QuoteType
    status: QuoteStatus
    session_id: str | None
    email: str | None
    currency: str
    lines: list[QuoteLine]
    totals: QuoteTotals
    created_at: datetime
    expires_at: datetime
    pdf_url: str | None = None
    checkout_url: str | None = None
    stripe_session_id: str | None = None
    wix_checkout_id: str | None = None
    # why no PDF could be issued (e.g. the seller's legal facts are missing); None when pdf_url is set
    pdf_unavailable_reason: str | None = None
    invoice_url: str | None = None


@message_type("billing.create_quote")
class CreateQuote(Message):
    """Ask billing for a quote. `product` lines name catalogue products; `custom` and `pdf` free lines."""

    type: QuoteType = "custom"
    session_id: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    currency: str = Field("EUR", min_length=3, max_length=3)
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=MAX_LINES)
    # None: the configured default provider (BILLING_PAYMENT_PROVIDER); "none": no payment link.
    provider: Provider | Literal["none"] | None = None
    validity_hours: int | None = Field(None, ge=1, le=24 * 90)


@message_type("billing.quote")
class QuoteReply(Message):
    quote: QuoteView


@message_type("billing.get_quote")
class GetQuote(Message):
    quote_id: str = Field(max_length=64)


@message_type("billing.create_checkout")
class CreateCheckout(Message):
    """Attach a payment link to an existing pending quote (idempotent: an existing link is returned)."""

    quote_id: str = Field(max_length=64)
    provider: Provider | None = None


@message_type("billing.create_invoice")
class CreateInvoice(Message):
    """Issue a Wix invoice for a pending quote (sent to the customer unless `send` is false)."""

    quote_id: str = Field(max_length=64)
    send: bool = True
    due_in_days: int = Field(14, ge=0, le=365)


@message_type("quote.created")
class QuoteCreated(Message):
    quote: QuoteView


@message_type("quote.expired")
class QuoteExpired(Message):
    quote_id: str
    session_id: str | None
    email: str | None
    expired_at: datetime


@message_type("payment.completed")
class PaymentCompleted(Message):
    quote_id: str
    provider: Provider
    provider_reference: str
    amount: Decimal
    currency: str
    email: str | None
    session_id: str | None
    paid_at: datetime


@message_type("invoice.created")
class InvoiceCreated(Message):
    invoice_id: str
    wix_invoice_id: str
    quote_id: str | None
    amount: Decimal
    currency: str
    status: InvoiceStatus


@message_type("invoice.status_changed")
class InvoiceStatusChanged(Message):
    invoice_id: str
    wix_invoice_id: str
    quote_id: str | None
    previous_status: InvoiceStatus
    status: InvoiceStatus


class _WebhookReceived(Message):
    """A provider webhook verified by the gateway, forwarded as received so billing can re-check it."""

    body: str = Field(max_length=MAX_WEBHOOK_BYTES)
    headers: dict[str, str] = Field(default_factory=dict)
    received_at: datetime


@message_type("billing.stripe_webhook_received")
class StripeWebhookReceived(_WebhookReceived):
    pass


@message_type("billing.wix_webhook_received")
class WixWebhookReceived(_WebhookReceived):
    pass


@message_type("billing.webhook_rejected")
class WebhookRejected(Message):
    """The gateway refused a webhook (bad signature, stale, malformed); billing records it."""

    provider: Provider
    reason: str = Field(max_length=500)
    remote_addr: str | None = Field(None, max_length=100)
    body_sha256: str = Field(max_length=64)
    received_at: datetime


ProductSource = Literal["wix", "stripe", "file"]


class VariantView(Message):
    id: str
    name: str
    sku: str | None = None
    price: Decimal
    stock: int | None = None  # None: stock not tracked
    in_stock: bool = True


class ProductView(Message):
    id: str
    source: ProductSource
    sku: str | None = None
    name: str
    description: str = ""
    category: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    price: Decimal  # VAT included; with variants, the lowest variant price
    currency: str
    vat_rate: Decimal
    stock: int | None = None
    in_stock: bool = True
    images: list[str] = Field(default_factory=list)
    variants: list[VariantView] = Field(default_factory=list)
    synced_at: datetime
    # the product may be quoted under the current flags (wixFirstStrict: Wix products only)
    quotable: bool = True
    score: float = 0.0


@message_type("billing.search_products")
class SearchProducts(Message):
    """Read-only: hybrid (lexical + vector) search of the product catalogue, French and English."""

    query: str = Field("", max_length=500)
    product_ids: list[str] = Field(default_factory=list, max_length=100)
    limit: int = Field(5, ge=1, le=50)
    category: str | None = Field(None, max_length=200)


@message_type("billing.products")
class ProductResults(Message):
    products: list[ProductView]
    lexical_only: bool = False  # the vector leg was not available (rag unreachable)
