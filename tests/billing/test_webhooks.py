"""Webhook verification: genuinely signed, badly signed, stale, forged and malformed payloads."""

from __future__ import annotations

import json
import time

import jwt
import pytest
import stripe

from libs.webhooks import (
    WebhookVerificationError,
    stripe_signature_header,
    verify_stripe_signature,
    verify_wix_webhook,
)
from tests.fakes.wix_server import WixSigner

SECRET = "whsec_unit"
EVENT = json.dumps({"id": "evt_1", "object": "event", "type": "checkout.session.completed",
                    "data": {"object": {"id": "cs_1"}}}).encode()


def test_a_genuine_stripe_signature_is_accepted_and_agrees_with_the_official_library() -> None:
    header = stripe_signature_header(EVENT, SECRET)
    assert verify_stripe_signature(EVENT, header, SECRET)["id"] == "evt_1"
    assert stripe.Webhook.construct_event(EVENT.decode(), header, SECRET).id == "evt_1"
    official = stripe.WebhookSignature.generate_signature_header(EVENT.decode(), SECRET)
    assert verify_stripe_signature(EVENT, official, SECRET)["type"] == "checkout.session.completed"


@pytest.mark.parametrize(("payload", "header", "reason"), [
    (EVENT, stripe_signature_header(EVENT, "whsec_other"), "signature mismatch"),
    (EVENT.replace(b"cs_1", b"cs_2"), stripe_signature_header(EVENT, SECRET), "signature mismatch"),
    (EVENT, "", "missing"),
    (EVENT, "t=abc,v1=00", "not an integer"),
    (EVENT, f"t={int(time.time())}", "no v1"),
    (EVENT, "v1=deadbeef", "no timestamp"),
    (EVENT, stripe_signature_header(EVENT, SECRET).replace("v1=", "v0="), "no v1"),
])
def test_bad_stripe_signatures_are_refused_with_a_reason(payload: bytes, header: str, reason: str) -> None:
    with pytest.raises(WebhookVerificationError) as err:
        verify_stripe_signature(payload, header, SECRET)
    assert reason in err.value.reason
    assert err.value.provider == "stripe"


def test_a_stale_stripe_webhook_is_refused_but_a_roll_of_secrets_is_accepted() -> None:
    old = int(time.time()) - 301
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_stripe_signature(EVENT, stripe_signature_header(EVENT, SECRET, old), SECRET)
    assert verify_stripe_signature(EVENT, stripe_signature_header(EVENT, SECRET, old), SECRET, tolerance=0)
    now = int(time.time())
    rolled = stripe_signature_header(EVENT, "whsec_old", now) + ",v1=" + \
        stripe_signature_header(EVENT, SECRET, now).split("v1=")[1]
    assert verify_stripe_signature(EVENT, rolled, SECRET)["id"] == "evt_1"


def test_a_signed_non_event_body_is_refused() -> None:
    body = b"[1, 2, 3]"
    with pytest.raises(WebhookVerificationError, match="not a Stripe event"):
        verify_stripe_signature(body, stripe_signature_header(body, SECRET), SECRET)


def test_a_genuine_wix_webhook_is_decoded_down_to_the_domain_event() -> None:
    signer = WixSigner()
    token = signer.sign("wix.ecom.v1.order_approved", {"id": "e-1", "entityId": "o-1"})
    event = verify_wix_webhook(token, signer.public_pem)
    assert event == {"eventType": "wix.ecom.v1.order_approved", "instanceId": "inst-1",
                     "data": {"id": "e-1", "entityId": "o-1"}}


def test_wix_webhooks_signed_by_another_key_or_forged_are_refused() -> None:
    signer, other = WixSigner(), WixSigner()
    token = other.sign("wix.ecom.v1.order_approved", {"id": "e-1"})
    with pytest.raises(WebhookVerificationError, match="invalid token"):
        verify_wix_webhook(token, signer.public_pem)
    # the classic confusion attack: HS256 "signed" with the public key as the shared secret
    forged = jwt.encode({"data": json.dumps({"eventType": "x", "data": "{}"})}, "k" * 32, algorithm="HS256")
    with pytest.raises(WebhookVerificationError):
        verify_wix_webhook(forged.encode(), signer.public_pem)
    unsigned = jwt.encode({"data": "{}"}, None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(WebhookVerificationError):
        verify_wix_webhook(unsigned.encode(), signer.public_pem)
    with pytest.raises(WebhookVerificationError):
        verify_wix_webhook(b"not a jwt", signer.public_pem)


def test_wix_tokens_expired_or_without_the_expected_data_are_refused() -> None:
    signer = WixSigner()
    expired = signer.sign("wix.ecom.v1.order_approved", {"id": "e"}, extra_claims={"exp": int(time.time()) - 10})
    with pytest.raises(WebhookVerificationError, match="expired"):
        verify_wix_webhook(expired, signer.public_pem)
    assert verify_wix_webhook(expired, signer.public_pem, verify_exp=False)["data"] == {"id": "e"}
    bad_data = jwt.encode({"data": "not json"}, signer._key, algorithm="RS256").encode()
    with pytest.raises(WebhookVerificationError, match="expected JSON"):
        verify_wix_webhook(bad_data, signer.public_pem)
    no_type = jwt.encode({"data": json.dumps({"data": "{}"})}, signer._key, algorithm="RS256").encode()
    with pytest.raises(WebhookVerificationError, match="eventType"):
        verify_wix_webhook(no_type, signer.public_pem)
    with pytest.raises(WebhookVerificationError, match="no Wix public key"):
        verify_wix_webhook(b"x", "")
