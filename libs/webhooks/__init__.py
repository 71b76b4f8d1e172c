"""Webhook signature verification (Stripe HMAC with a timestamp tolerance, Wix RS256 JWT) and the
small settings class it needs. Used by the gateway (verify before accepting) and billing (re-check)."""

from libs.webhooks.settings import WebhookSettings
from libs.webhooks.verify import (
    MAX_BODY_BYTES,
    MalformedWebhook,
    WebhookVerificationError,
    body_sha256,
    parse_stripe_event,
    stripe_signature,
    stripe_signature_header,
    verify_stripe_signature,
    verify_wix_webhook,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MalformedWebhook",
    "WebhookSettings",
    "WebhookVerificationError",
    "body_sha256",
    "parse_stripe_event",
    "stripe_signature",
    "stripe_signature_header",
    "verify_stripe_signature",
    "verify_wix_webhook",
]
