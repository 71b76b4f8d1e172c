"""Billing settings (env prefix BILLING_)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BillingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", env_file=".env", extra="ignore")

    currency: str = Field("EUR", min_length=3, max_length=3)
    vat_rate: Decimal = Field(Decimal("0.20"), ge=0, le=1)
    prices_include_vat: bool = True
    quote_validity_hours: int = Field(48, ge=1)
    expiry_interval_s: float = Field(60.0, gt=0)
    # the most one catalogue line may hold (10,000 candles is a call to the shop, not a chat quote)
    max_line_quantity: int = Field(1000, ge=1, le=100_000)
    catalogue_sync_interval_s: float = Field(3600.0, gt=0)  # Wix / Stripe full sync
    embed_interval_s: float = Field(30.0, gt=0)  # products without vectors (or of another model) embedded this often
    embed_timeout_s: float = Field(2.0, gt=0)
    # "none": quotes carry no payment link unless one is asked for.
    payment_provider: Literal["none", "stripe", "wix"] = "none"

    stripe_api_key: SecretStr | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_webhook_secret: SecretStr | None = None
    stripe_success_url: str = "https://example.com/merci?quote={quote_id}"
    stripe_cancel_url: str = "https://example.com/panier?quote={quote_id}"
    stripe_timeout_s: float = Field(10.0, gt=0)
    stripe_max_retries: int = Field(2, ge=0, le=5)

    wix_api_base: str = "https://www.wixapis.com"
    wix_api_key: SecretStr | None = None
    wix_site_id: str | None = None
    wix_public_key: str | None = None
    wix_timeout_s: float = Field(8.0, gt=0)
    wix_max_retries: int = Field(2, ge=0, le=5)
    catalog_ttl_s: int = Field(900, ge=1)
    # A stale catalogue entry is still served this long while it is refreshed in the background.
    catalog_stale_s: int = Field(3600, ge=0)

    # Quote PDFs go to the platform's file store (libs/storage, COMPTOIR_STORAGE). Public prefix of
    # pdf_url (the gateway's /v1/files, e.g. https://shop.example/v1/files); None: COMPTOIR_PUBLIC_URL + /v1/files.
    public_files_url: str | None = None
    pdf_font: Path | None = Field(None, description="a Unicode TTF; default: built-in Helvetica (cp1252)")
