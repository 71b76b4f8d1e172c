"""`/v1/admin/social/…` through the real gateway app, answered by the social queue over RabbitMQ."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from libs.common.service import ServiceApp
from libs.common.settings import Settings
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.workflows.graph import GraphSettings
from services.workflows.social import register
from tests.conftest import eventually, with_fresh_prefix
from tests.fakes.graph_server import FakeGraphServer

TOKEN = "admin-token-social-test"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
async def api(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[tuple[httpx.AsyncClient, FakeGraphServer]]:
    svc_settings = with_fresh_prefix(settings)
    await pool.execute("UPDATE app_runtime_state SET value = 'true'::jsonb WHERE key = 'socialApprovalRequired'")
    async with FakeGraphServer() as graph:
        cfg = GraphSettings(graph_base_url=graph.base_url, page_id=graph.page_id,
                            instagram_user_id=graph.ig_user_id, page_access_token=SecretStr(graph.token),
                            retry_base_ms=5, poll_interval_s=0.3)
        svc: ServiceApp[None] = ServiceApp("workflows")
        register(svc)
        app = create_app(svc_settings, GatewaySettings(admin_token=TOKEN), pool=pool,
                         run_relay=False)
        async with svc.running(svc_settings, pool, deps={"social_settings": cfg}), \
                app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 5555))
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
                yield http, graph


async def test_the_owner_queues_lists_approves_and_rejects_over_http(
        api: tuple[httpx.AsyncClient, FakeGraphServer]) -> None:
    http, graph = api
    assert (await http.get("/v1/admin/social/posts")).status_code == 401
    text = f"Soldes d'hiver {uuid.uuid4().hex[:6]}"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    created = await http.post("/v1/admin/social/posts", json={"platforms": ["facebook"], "content": text},
                              headers={**AUTH, **key})
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["status"] == "pending" and post["source_kind"] == "owner"
    again = await http.post("/v1/admin/social/posts", json={"platforms": ["facebook"], "content": text},
                            headers={**AUTH, **key})
    assert again.json()["id"] == post["id"]

    listed = await http.get("/v1/admin/social/posts", params={"status": "pending", "limit": 500}, headers=AUTH)
    assert post["id"] in [p["id"] for p in listed.json()["posts"]]
    approved = await http.post(f"/v1/admin/social/posts/{post['id']}/approve", json={"approved_by": "lea"},
                               headers=AUTH)
    assert approved.status_code == 200 and approved.json()["approved_by"] == "lea"

    async def published() -> dict[str, object] | None:
        found = (await http.get(f"/v1/admin/social/posts/{post['id']}", headers=AUTH)).json()
        return found if found["status"] == "published" else None
    done = await eventually(published)
    assert [p.id for p in graph.posts() if p.fields.get("message") == text] == [
        done["results"]["facebook"]["post_id"]]  # type: ignore[index]

    late = await http.post(f"/v1/admin/social/posts/{post['id']}/reject", json={"reason": "trop tard"}, headers=AUTH)
    assert late.status_code == 409 and late.json()["error"] == "invalid_state"


async def test_bad_requests_get_4xx_with_a_reason(api: tuple[httpx.AsyncClient, FakeGraphServer]) -> None:
    http, _ = api
    missing = await http.get(f"/v1/admin/social/posts/{uuid.uuid4()}", headers=AUTH)
    assert missing.status_code == 404
    text_only = await http.post("/v1/admin/social/posts", json={"platforms": ["instagram"], "content": "Bonjour"},
                                headers=AUTH)
    assert text_only.status_code == 422 and "Instagram" in text_only.text
    twice = await http.post("/v1/admin/social/posts", json={"platforms": ["facebook", "facebook"], "content": "x"},
                            headers=AUTH)
    assert twice.status_code == 422
    rejected = await http.post("/v1/admin/social/posts", json={"platforms": ["facebook"], "content": "À revoir"},
                               headers=AUTH)
    reason = await http.post(f"/v1/admin/social/posts/{rejected.json()['id']}/reject",
                             json={"reason": "Photo manquante"}, headers=AUTH)
    assert reason.status_code == 200
    assert reason.json()["status"] == "rejected" and reason.json()["error_message"] == "Photo manquante"


async def test_media_uploaded_by_the_owner_is_served_to_the_platforms(
        api: tuple[httpx.AsyncClient, FakeGraphServer], pool: asyncpg.Pool) -> None:
    http, _ = api
    data = b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes * 50
    put = await http.put("/v1/admin/social/media/vitrine d'hiver.jpg", content=data,
                         headers={**AUTH, "Content-Type": "image/jpeg"})
    assert put.status_code == 201, put.text
    stored = put.json()
    assert stored["media_url"].startswith("files:social/") and stored["size"] == len(data)
    path = "/v1/files/" + stored["media_url"].removeprefix("files:")
    assert stored["url"].endswith(path)
    served = await http.get(path)  # no token: the Graph API fetches it
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == "image/jpeg"
    assert (await http.get("/v1/files/social/absent.jpg")).status_code == 404
    refused = await http.put("/v1/admin/social/media/notes.txt", content=b"x", headers={**AUTH,
                                                                                       "Content-Type": "text/plain"})
    assert refused.status_code == 415
    assert (await http.put("/v1/admin/social/media/a.jpg", content=data,
                           headers={"Content-Type": "image/jpeg"})).status_code == 401

    queued = await http.post("/v1/admin/social/posts", json={"platforms": ["instagram"], "content": "Vitrine",
                                                             "media_url": stored["media_url"]}, headers=AUTH)
    assert queued.status_code == 201 and queued.json()["media_type"] == "image"
    outside = await http.post("/v1/admin/social/posts", json={"platforms": ["facebook"], "content": "Devis",
                                                              "media_url": "files:quotes/x.pdf"}, headers=AUTH)
    assert outside.status_code == 422 and "social/" in outside.text
