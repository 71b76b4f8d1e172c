"""libs.webhooks reads the webhook secrets from billing's variables, and only those."""

from __future__ import annotations

import pytest

from libs.webhooks import WebhookSettings, WebhookVerificationError, stripe_signature_header, verify_stripe_signature
from services.billing.config import BillingSettings

BODY = b'{"id": "evt_1", "type": "checkout.session.completed"}'


def test_the_same_variables_as_billing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_STRIPE_WEBHOOK_SECRET", "whsec_shared")
    monkeypatch.setenv("BILLING_WIX_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----x")
    monkeypatch.setenv("BILLING_STRIPE_API_KEY", "sk_live_not_for_the_gateway")
    webhooks, billing = WebhookSettings(), BillingSettings()
    assert billing.stripe_webhook_secret is not None
    assert webhooks.stripe_secret() == billing.stripe_webhook_secret.get_secret_value() == "whsec_shared"
    assert webhooks.wix_key() == billing.wix_public_key
    assert not hasattr(webhooks, "stripe_api_key") and not hasattr(webhooks, "wix_api_key")


def test_unset_secrets_are_empty_and_refuse_every_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BILLING_STRIPE_WEBHOOK_SECRET", "BILLING_WIX_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)
    webhooks = WebhookSettings(_env_file=None)
    assert (webhooks.stripe_secret(), webhooks.wix_key()) == ("", "")
    with pytest.raises(WebhookVerificationError, match="no webhook secret"):
        verify_stripe_signature(BODY, stripe_signature_header(BODY, "whsec_x"), webhooks.stripe_secret())


def test_tolerance_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_STRIPE_WEBHOOK_TOLERANCE_S", "60")
    webhooks = WebhookSettings(stripe_webhook_secret="whsec_t")
    header = stripe_signature_header(BODY, "whsec_t", timestamp=1_000_000)
    assert webhooks.stripe_webhook_tolerance_s == 60
    assert verify_stripe_signature(BODY, header, webhooks.stripe_secret(), webhooks.stripe_webhook_tolerance_s,
                                   now=1_000_059)["id"] == "evt_1"
    with pytest.raises(WebhookVerificationError, match="60s tolerance"):
        verify_stripe_signature(BODY, header, webhooks.stripe_secret(), webhooks.stripe_webhook_tolerance_s,
                                now=1_000_061)
