"""The secrets webhook verification needs, and nothing else.

Read from the same variables as the billing service's settings (`BILLING_STRIPE_WEBHOOK_SECRET`,
`BILLING_WIX_PUBLIC_KEY`), so one configuration serves the gateway, which verifies each webhook
before accepting it, and billing, which re-checks it; the gateway never builds billing's settings
(with every API key).
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", env_file=".env", extra="ignore")

    stripe_webhook_secret: SecretStr | None = None
    # how far a Stripe-Signature timestamp may be from now, at the gateway (Stripe's own libraries: 300 s)
    stripe_webhook_tolerance_s: int = Field(300, ge=0)
    wix_public_key: str | None = None

    def stripe_secret(self) -> str:
        return self.stripe_webhook_secret.get_secret_value() if self.stripe_webhook_secret else ""

    def wix_key(self) -> str:
        return self.wix_public_key or ""
