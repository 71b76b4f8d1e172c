"""HTTP Idempotency-Key on the API's POSTs: a retry gets the first answer, never a second turn."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import asyncpg
import httpx

from libs.common import requestlog
from services.gateway import idempotency
from tests.gateway.test_chat import auth, parse_sse


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def history_count(client: httpx.AsyncClient, body: dict[str, Any]) -> int:
    found = await client.get(f"/v1/chat/sessions/{body['session_id']}", headers=auth(body))
    assert found.status_code == 200, found.text
    return int(found.json()["message_count"])


async def test_a_retried_message_gets_the_first_answer_and_makes_one_turn(client: httpx.AsyncClient) -> None:
    headers = key()
    first = await client.post("/v1/chat/messages", headers=headers, json={"message": "Vos délais de livraison ?"})
    again = await client.post("/v1/chat/messages", headers=headers, json={"message": "Vos délais de livraison ?"})
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await history_count(client, first.json()) == 2  # one exchange, not two
    # the same key continuing the session: a new request, since the body is another one
    follow = {"message": "Et les retours ?", "session_id": first.json()["session_id"]}
    reused = await client.post("/v1/chat/messages", headers={**headers, **auth(first.json())}, json=follow)
    assert reused.status_code == 200  # scoped to the caller: with its session token it is another scope


async def test_the_same_key_with_another_body_is_a_422(client: httpx.AsyncClient) -> None:
    headers = key()
    first = await client.post("/v1/chat/messages", headers=headers, json={"message": "Bonjour"})
    assert first.status_code == 200
    other = await client.post("/v1/chat/messages", headers=headers, json={"message": "Au revoir"})
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.json()["detail"]


async def test_a_key_whose_first_request_is_running_is_a_409(client: httpx.AsyncClient, gw_pool: asyncpg.Pool
                                                             ) -> None:
    first = (await client.post("/v1/chat/messages", json={"message": "Bonjour"})).json()
    body = json.dumps({"message": "Une question", "session_id": first["session_id"]}).encode()
    headers = {**key(), **auth(first), "Content-Type": "application/json"}
    scope = "token:" + hashlib.sha256(first["session_token"].encode()).hexdigest()
    running = await idempotency.begin(gw_pool, scope, headers["Idempotency-Key"],
                                      idempotency.fingerprint("POST", "/v1/chat/messages", "", body))
    assert isinstance(running, idempotency.Run)  # as if another gateway process were handling it
    busy = await client.post("/v1/chat/messages", headers=headers, content=body)
    assert busy.status_code == 409 and busy.json()["error"] == "idempotency_key_in_flight"
    assert busy.headers["Retry-After"] == "1"
    assert await history_count(client, first) == 2  # it did not run


async def test_a_retried_stream_replays_the_first_stream(client: httpx.AsyncClient) -> None:
    headers = key()
    first = await client.post("/v1/chat/messages/stream", headers=headers, json={"message": "Livraison ?"})
    again = await client.post("/v1/chat/messages/stream", headers=headers, json={"message": "Livraison ?"})
    assert first.status_code == again.status_code == 200
    assert again.text == first.text and again.headers["content-type"].startswith("text/event-stream")
    done = [data for event, data in parse_sse(first.text) if event == "done"]
    assert len(done) == 1 and await history_count(client, done[0]) == 2


async def test_a_retried_reset_answers_the_same(client: httpx.AsyncClient, gw_pool: asyncpg.Pool) -> None:
    first = (await client.post("/v1/chat/messages", json={"message": "Bonjour"})).json()
    headers = {**key(), **auth(first)}
    reset = await client.post(f"/v1/chat/sessions/{first['session_id']}/reset", headers=headers)
    again = await client.post(f"/v1/chat/sessions/{first['session_id']}/reset", headers=headers)
    assert reset.status_code == again.status_code == 200 and again.json() == reset.json()
    resets = await gw_pool.fetchval("SELECT count(*) FROM app_outbox WHERE type = 'chat.session.reset' "
                                    "AND aggregate_id = $1", first["session_id"])
    assert resets == 1  # the reset ran once


async def test_a_malformed_key_is_a_400(client: httpx.AsyncClient) -> None:
    for bad in (b"x" * 256, b"with space", "\xe9".encode("latin-1")):
        response = await client.post("/v1/chat/messages", headers={b"Idempotency-Key": bad},
                                     json={"message": "Bonjour"})
        assert response.status_code == 400 and response.json()["error"] == "invalid_idempotency_key", bad


async def test_the_openapi_documents_the_header_on_the_posts(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    for path in ("/v1/chat/messages", "/v1/chat/messages/stream", "/v1/chat/sessions/{session_id}/reset"):
        post = doc["paths"][path]["post"]
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"]), path
        assert "409" in post["responses"] and "422" in post["responses"]


async def test_a_turn_still_running_in_chat_is_a_409(client: httpx.AsyncClient, gw_pool: asyncpg.Pool) -> None:
    """The gateway lost track of a key (its first run's lease ended) while chat still runs the turn:
    the retry reaches chat under the same request id and is told to wait, not run a second turn."""
    first = (await client.post("/v1/chat/messages", json={"message": "Bonjour"})).json()
    headers = {**key(), **auth(first)}
    scope = "token:" + hashlib.sha256(first["session_token"].encode()).hexdigest()
    request_id = uuid.uuid5(idempotency.NAMESPACE, f"{scope}\n{headers['Idempotency-Key']}")
    held = await requestlog.begin(gw_pool, "chat", request_id, "chat.turn", lease_s=60)
    assert isinstance(held, requestlog.Run)
    body = {"message": "Une question", "session_id": first["session_id"]}
    busy = await client.post("/v1/chat/messages", headers=headers, json=body)
    assert busy.status_code == 409 and busy.json()["error"] == "request_in_progress", busy.text
    assert await history_count(client, first) == 2
    await requestlog.abandon(gw_pool, "chat", request_id, held.token)
    done = await client.post("/v1/chat/messages", headers=headers, json=body)  # the 409 was not stored
    assert done.status_code == 200 and await history_count(client, first) == 4
