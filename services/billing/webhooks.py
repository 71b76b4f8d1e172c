"""Webhook verification lives in `libs.webhooks` (the gateway verifies too); re-exported here for
billing's own modules."""

from libs.webhooks.verify import (
    MAX_BODY_BYTES,
    STRIPE_SCHEME,
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
    "STRIPE_SCHEME",
    "WebhookVerificationError",
    "body_sha256",
    "parse_stripe_event",
    "stripe_signature",
    "stripe_signature_header",
    "verify_stripe_signature",
    "verify_wix_webhook",
]
