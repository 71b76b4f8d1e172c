"""Webhook verification, as pure functions: the gateway calls them before anything else is done, and
billing re-checks what it receives (the broker is not the trust boundary).

Stripe: header `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of "<t>.<raw body>"
with the endpoint secret, timestamp within `tolerance` seconds, compared in constant time.
Wix: the body is a JWT signed RS256 with the app's key; its `data` claim is a JSON string (the
event envelope) whose own `data` is a JSON string again (the domain event).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import jwt

from libs.common.errors import ComptoirError

STRIPE_SCHEME = "v1"
MAX_BODY_BYTES = 1_000_000


class WebhookVerificationError(ComptoirError):
    """The webhook is not authentic (or not readable): answer 401 and record it."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider} webhook rejected: {reason}")
        self.provider = provider
        self.reason = reason


class MalformedWebhook(WebhookVerificationError):
    """Authentic (the signature checks out) but not a usable event: answer 400, the provider's bug."""


def stripe_signature(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def stripe_signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header Stripe would send (used by tests and the local Stripe server)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},{STRIPE_SCHEME}={stripe_signature(payload, secret, ts)}"


def _parse_stripe_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as exc:
                raise WebhookVerificationError("stripe", "timestamp is not an integer") from exc
        elif key == STRIPE_SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise WebhookVerificationError("stripe", "no timestamp in Stripe-Signature")
    if not signatures:
        raise WebhookVerificationError("stripe", "no v1 signature in Stripe-Signature")
    return timestamp, signatures


def verify_stripe_signature(
    payload: bytes, header: str, secret: str, tolerance: int = 300, now: float | None = None
) -> dict[str, Any]:
    """Check a Stripe webhook and return the parsed event; raises WebhookVerificationError."""
    if not secret:
        raise WebhookVerificationError("stripe", "no webhook secret configured")
    if not header:
        raise WebhookVerificationError("stripe", "missing Stripe-Signature header")
    if len(payload) > MAX_BODY_BYTES:
        raise WebhookVerificationError("stripe", "body too large")
    timestamp, signatures = _parse_stripe_header(header)
    expected = stripe_signature(payload, secret, timestamp)
    # Compare against every v1 signature (several during a secret roll), each in constant time.
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise WebhookVerificationError("stripe", "signature mismatch")
    current = time.time() if now is None else now
    if tolerance > 0 and abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("stripe", f"timestamp outside the {tolerance}s tolerance")
    return parse_stripe_event(payload)


def parse_stripe_event(payload: bytes) -> dict[str, Any]:
    try:
        event = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedWebhook("stripe", "body is not JSON") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"].strip() \
            or not isinstance(event.get("type"), str) or not isinstance(event.get("data", {}), dict):
        raise MalformedWebhook("stripe", "body is not a Stripe event (id, type and data object expected)")
    return event


def verify_wix_webhook(body: bytes, public_key: str, *, verify_exp: bool = True) -> dict[str, Any]:
    """Check a Wix webhook JWT and return {"eventType", "instanceId", "data": <domain event dict>}.

    `verify_exp=False` is for the billing consumer, which re-checks a token the gateway already
    accepted and may see it late (broker retries).
    """
    if not public_key:
        raise WebhookVerificationError("wix", "no Wix public key configured")
    if len(body) > MAX_BODY_BYTES:
        raise WebhookVerificationError("wix", "body too large")
    try:
        claims = jwt.decode(body.strip(), public_key, algorithms=["RS256"],
                            options={"require": ["data"], "verify_aud": False, "verify_exp": verify_exp})
    except jwt.ExpiredSignatureError as exc:
        raise WebhookVerificationError("wix", "token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise WebhookVerificationError("wix", f"invalid token: {exc}") from exc
    return _wix_event(claims)


def _wix_event(claims: dict[str, Any]) -> dict[str, Any]:
    try:
        envelope = json.loads(claims["data"]) if isinstance(claims["data"], str) else claims["data"]
        inner = envelope.get("data", {})
        domain_event = json.loads(inner) if isinstance(inner, str) else inner
    except (ValueError, AttributeError, RecursionError) as exc:
        raise MalformedWebhook("wix", "data claim is not the expected JSON") from exc
    if not isinstance(envelope, dict) or not isinstance(domain_event, dict):
        raise MalformedWebhook("wix", "data claim is not an object")
    if not isinstance(envelope.get("eventType"), str):
        raise MalformedWebhook("wix", "no eventType in the event")
    return {"eventType": envelope["eventType"], "instanceId": envelope.get("instanceId"),
            "data": domain_event}


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
