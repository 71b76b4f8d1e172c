"""Webhooks: a verified one becomes a billing command in the outbox; an unverified one is a 401."""

from __future__ import annotations

import json
import time
import uuid

import asyncpg
import httpx
import jwt

from libs.webhooks import body_sha256, stripe_signature_header
from tests.gateway.conftest import STRIPE_SECRET, WIX_KEY

FIND_EVENT = """
SELECT type, envelope FROM app_outbox
WHERE type = $1 AND envelope->'data'->>'body' = $2
"""
FIND_REJECTED = """
SELECT envelope FROM app_outbox
WHERE type = 'billing.webhook_rejected' AND envelope->'data'->>'body_sha256' = $1
"""


def stripe_event() -> bytes:
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": "checkout.session.completed", "object": "event",
             "data": {"object": {"id": f"cs_{uuid.uuid4().hex}", "payment_status": "paid"}}}
    return json.dumps(event).encode()


async def test_a_signed_stripe_webhook_is_forwarded_to_billing(client: httpx.AsyncClient,
                                                               gw_pool: asyncpg.Pool) -> None:
    body = stripe_event()
    response = await client.post("/v1/webhooks/stripe", content=body, headers={
        "Stripe-Signature": stripe_signature_header(body, STRIPE_SECRET), "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True}
    row = await gw_pool.fetchrow(FIND_EVENT, "billing.stripe_webhook_received", body.decode())
    assert row is not None
    data = row["envelope"]["data"]
    assert data["headers"]["stripe-signature"].startswith("t=")
    assert row["envelope"]["source"] == "gateway"


async def test_a_stripe_webhook_with_a_bad_signature_is_refused_and_recorded(
        client: httpx.AsyncClient, gw_pool: asyncpg.Pool) -> None:
    body = stripe_event()
    forged = stripe_signature_header(body, "whsec_wrong")
    response = await client.post("/v1/webhooks/stripe", content=body, headers={"Stripe-Signature": forged})
    assert response.status_code == 401
    assert response.json()["detail"] == "signature mismatch"
    assert await gw_pool.fetchrow(FIND_EVENT, "billing.stripe_webhook_received", body.decode()) is None
    rejected = await gw_pool.fetchrow(FIND_REJECTED, body_sha256(body))
    assert rejected is not None
    assert rejected["envelope"]["data"]["provider"] == "stripe"


async def test_a_stale_or_unsigned_stripe_webhook_is_refused(client: httpx.AsyncClient) -> None:
    body = stripe_event()
    stale = stripe_signature_header(body, STRIPE_SECRET, timestamp=int(time.time()) - 3600)
    response = await client.post("/v1/webhooks/stripe", content=body, headers={"Stripe-Signature": stale})
    assert response.status_code == 401
    assert "tolerance" in response.json()["detail"]
    unsigned = await client.post("/v1/webhooks/stripe", content=body)
    assert unsigned.status_code == 401


def wix_token(order_id: str) -> bytes:
    inner = json.dumps({"order": {"id": order_id, "status": "APPROVED"}})
    envelope = json.dumps({"eventType": "wix.ecom.v1.order_approved", "instanceId": "inst-1", "data": inner})
    return jwt.encode({"data": envelope}, WIX_KEY, algorithm="RS256").encode()


async def test_a_signed_wix_webhook_is_forwarded_to_billing(client: httpx.AsyncClient,
                                                            gw_pool: asyncpg.Pool) -> None:
    body = wix_token(uuid.uuid4().hex)
    response = await client.post("/v1/webhooks/wix", content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    row = await gw_pool.fetchrow(FIND_EVENT, "billing.wix_webhook_received", body.decode())
    assert row is not None


async def test_a_wix_webhook_signed_with_another_key_is_refused(client: httpx.AsyncClient) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = jwt.encode({"data": json.dumps({"eventType": "x", "data": "{}"})}, other, algorithm="RS256")
    response = await client.post("/v1/webhooks/wix", content=body.encode())
    assert response.status_code == 401
    assert response.json()["error"] == "webhook_unverified"


async def test_a_non_utf8_webhook_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/webhooks/wix", content=b"\xff\xfe\x00garbage")
    assert response.status_code == 401
    assert "UTF-8" in response.json()["detail"]
