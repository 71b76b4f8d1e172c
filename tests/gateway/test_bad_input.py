"""Bad input is refused with a 4xx and a reason before any backend is called."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.gateway.sessions import new_session_id, sign_session

ENDPOINTS = ["/v1/chat/messages", "/v1/chat/messages/stream"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(("body", "status", "code"), [
    (b"", 400, "empty_body"),
    (b"   ", 400, "empty_body"),
    (b'{"message": "bonjour"', 400, "malformed_json"),
    (b"\xff\xfe{\"message\": \"x\"}", 400, "invalid_encoding"),
    (b'{"message": "caf\xe9"}', 400, "invalid_encoding"),
    (b'["message"]', 422, "invalid_request"),
    (b'{"message": 42}', 422, "invalid_request"),
    (b'{"msg": "hello"}', 422, "invalid_request"),
    (b'{"message": "   "}', 400, "empty_message"),
    (b'{"message": "' + b"a" * 501 + b'"}', 413, "message_too_long"),
    (b'{"message": "' + b"a" * 5000 + b'"}', 413, "body_too_large"),
])
async def test_bad_bodies_get_a_reason(client: httpx.AsyncClient, path: str, body: bytes, status: int,
                                       code: str) -> None:
    response = await client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["error"] == code
    assert payload["detail"]


async def test_a_huge_chunked_body_is_cut_off(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 1024

    response = await client.post("/v1/chat/messages", content=chunks())
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


async def test_a_session_id_without_its_token_is_refused(client: httpx.AsyncClient) -> None:
    session_id = new_session_id()
    response = await client.post("/v1/chat/messages", json={"message": "hi", "session_id": session_id})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_foreign_token_is_refused(client: httpx.AsyncClient, gw_settings) -> None:
    mine, theirs = new_session_id(), new_session_id()
    token = sign_session(gw_settings.secret(), mine)
    response = await client.post("/v1/chat/messages", json={"message": "hi", "session_id": theirs},
                                 headers={"X-Session-Token": token})
    assert response.status_code == 403
    assert response.json()["error"] == "foreign_session"
    history = await client.get(f"/v1/chat/sessions/{theirs}", headers={"Authorization": f"Bearer {token}"})
    assert history.status_code == 403
    reset = await client.post(f"/v1/chat/sessions/{theirs}/reset", headers={"X-Session-Token": token})
    assert reset.status_code == 403


async def test_a_made_up_session_id_is_refused(client: httpx.AsyncClient, gw_settings) -> None:
    fake = "../../etc/passwd"
    response = await client.get(f"/v1/chat/sessions/{fake}", headers={"X-Session-Token": "abc"})
    assert response.status_code in (403, 404)
    assert "error" in response.json()


async def test_unknown_route_and_method_are_json_errors(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nope")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong = await client.get("/v1/chat/messages")
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method_not_allowed"
