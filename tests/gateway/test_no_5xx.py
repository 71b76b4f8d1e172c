"""Inputs that used to answer 5xx (issue 11) answer 4xx with a reason; webhook floods are refused per
source before any verification work or row."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from libs.webhooks import stripe_signature_header
from tests.gateway.conftest import STRIPE_SECRET, random_ip

ROUTES = ("/v1/chat/messages", "/v1/chat/messages/stream")
BAD_BODIES = {
    "lone surrogate": (b'{"message": "Bonjour \\ud800 !"}', "invalid_text"),
    "lone surrogate in a key": (b'{"message": "Bonjour", "\\udfff": 1}', "invalid_text"),
    "NUL": (b'{"message": "Bonjour\\u0000 !"}', "invalid_text"),
    "nested 1,200 deep": (b'{"message": "Bonjour", "x": ' + b"[" * 1200 + b"]" * 1200 + b"}", "too_deep"),
    # larger than this gateway's 4 KB limit: 413; parse_json_body's own answer is tested below
    "5,000-digit integer": (b'{"message": "Bonjour", "n": ' + b"7" * 5000 + b"}", None),
    "4,000-digit message": (b'{"message": ' + b"7" * 4000 + b"}", None),
}


@pytest.mark.parametrize(("body", "code"), [
    (b'{"message": "Bonjour", "n": ' + b"7" * 5000 + b"}", "malformed_json"),
    (b'{"message": "x", "deep": ' + b"{\"a\": " * 1200 + b"1" + b"}" * 1200 + b"}", "too_deep"),
    (b'["\\ud800"]', "invalid_text"),
])
def test_parse_json_body_refuses_with_a_reason(body: bytes, code: str) -> None:
    from services.gateway.body import parse_json_body
    from services.gateway.errors import ApiError

    with pytest.raises(ApiError) as refused:
        parse_json_body(body, 1_000_000)
    assert (refused.value.status, refused.value.code) == (400, code)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_bad_input_is_a_4xx_with_a_reason(client: httpx.AsyncClient, route: str, case: str) -> None:
    body, code = BAD_BODIES[case]
    response = await client.post(route, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, (case, response.status_code, response.text)
    assert "detail" in response.json()
    if code is not None:
        assert response.json()["error"] == code


async def test_an_escaped_but_harmless_message_still_works(client: httpx.AsyncClient) -> None:
    body = json.dumps({"message": "Livrez-vous à Zürich ? 😀"}).encode()  # ensure_ascii: \u escapes, a pair
    response = await client.post("/v1/chat/messages", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def _signed(event: object) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {"Stripe-Signature": stripe_signature_header(body, STRIPE_SECRET),
                  "Content-Type": "application/json"}


@pytest.mark.parametrize("event", [
    {"id": "", "type": "checkout.session.completed", "data": [1]},
    {"id": "evt_1", "type": "checkout.session.completed", "data": [1]},
    {"id": "evt_2", "type": 7, "data": {}},
    [1, 2, 3],
    "evt",
])
async def test_a_signed_but_malformed_stripe_event_is_a_400(client: httpx.AsyncClient, event: object) -> None:
    body, headers = _signed(event)
    response = await client.post("/v1/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "malformed_webhook"


async def test_a_signed_deeply_nested_stripe_body_is_a_400(client: httpx.AsyncClient) -> None:
    body = b'{"id": "evt_3", "type": "x", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    headers = {"Stripe-Signature": stripe_signature_header(body, STRIPE_SECRET)}
    response = await client.post("/v1/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 400, response.text


COUNT_REJECTED = """
SELECT count(*) FROM app_outbox
WHERE type = 'billing.webhook_rejected' AND envelope->'data'->>'remote_addr' = $1
"""


async def test_a_flood_of_forged_webhooks_is_refused_before_any_row(gateway_app: FastAPI,
                                                                   gw_pool: asyncpg.Pool) -> None:
    from services.gateway.webhook_limits import WebhookLimitSettings

    ip, other = random_ip(), random_ip()
    forged = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": "x", "pad": "p" * 900_000}).encode()
    headers = {"Stripe-Signature": stripe_signature_header(forged, "whsec_forged")}
    transport = httpx.ASGITransport(app=gateway_app, client=(ip, 5555))
    statuses: list[int] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        for _ in range(40):
            response = await http.post("/v1/webhooks/stripe", content=forged, headers=headers)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.json()["error"] == "rate_limited"
    budget = WebhookLimitSettings().failure_burst
    assert statuses[:budget] == [401] * budget
    assert set(statuses[budget:]) == {429}
    assert await gw_pool.fetchval(COUNT_REJECTED, ip) == budget  # refusals wrote nothing
    # another source is not punished for it
    transport = httpx.ASGITransport(app=gateway_app, client=(other, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        body, signed = _signed({"id": f"evt_{uuid.uuid4().hex}", "type": "checkout.session.completed",
                                "data": {"object": {"id": "cs_1"}}})
        assert (await http.post("/v1/webhooks/stripe", content=body, headers=signed)).status_code == 200
