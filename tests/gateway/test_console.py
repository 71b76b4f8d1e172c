"""The owner console over HTTP (the real app, chat, security and rag over the real broker): login,
CSRF, rate-limited wrong passwords, roles, a handoff seen live, takeover, an adviser's reply reaching
the visitor's live stream, the visitor's messages stored without an LLM call, handback, the audit trail.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from services.gateway.console import users
from services.gateway.console.live import LiveEvent
from services.gateway.deps import Gateway
from tests.fakes.llm_server import FakeLLMServer
from tests.gateway.conftest import random_ip

PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


async def make_user(pool: asyncpg.Pool, role: str = "owner", name: str = "Claire") -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@shop.example"
    await users.create_user(pool, email, role, name, PASSWORD)
    return email


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/admin/login")
    assert form.status_code == 200
    return await client.post("/admin/login", data={"email": email, "password": password,
                                                   "csrf": csrf_of(form.text), "next": "/admin/conversations"})


async def page_csrf(client: httpx.AsyncClient, path: str = "/admin/conversations") -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text[:500]
    return csrf_of(response.text)


async def next_event(queue: asyncio.Queue[LiveEvent], kind: str, timeout: float = 10.0) -> LiveEvent:
    async with asyncio.timeout(timeout):
        while True:
            event = await queue.get()
            if event.type == kind:
                return event


async def visitor_says(client: httpx.AsyncClient, text: str, session: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
    body: dict[str, Any] = {"message": text}
    headers = {}
    if session:
        body["session_id"] = session["session_id"]
        headers["X-Session-Token"] = session["session_token"]
    response = await client.post("/v1/chat/messages", json=body, headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_pages_need_a_login_and_a_wrong_password_is_refused(client: httpx.AsyncClient,
                                                                  gw_pool: asyncpg.Pool) -> None:
    first = await client.get("/admin/conversations")
    assert first.status_code == 303 and first.headers["location"].startswith("/admin/login?next=")
    email = await make_user(gw_pool)
    wrong = await log_in(client, email, "not the password")
    assert wrong.status_code == 401 and "incorrect" in wrong.text
    assert "comptoir_console" not in wrong.cookies
    ok = await log_in(client, email)
    assert ok.status_code == 303 and ok.headers["location"] == "/admin/conversations"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert (await client.get("/admin/conversations")).status_code == 200


async def test_login_without_its_form_token_is_refused(client: httpx.AsyncClient, gw_pool: asyncpg.Pool) -> None:
    email = await make_user(gw_pool)
    refused = await client.post("/admin/login", data={"email": email, "password": PASSWORD, "csrf": "forged"})
    assert refused.status_code == 403
    assert "comptoir_console=" not in refused.headers.get("set-cookie", "")


async def test_wrong_passwords_are_rate_limited_per_account(gateway_app: Any, gw_pool: asyncpg.Pool) -> None:
    email = await make_user(gw_pool)
    statuses = []
    # each attempt from a different address: the account's own limit (8 per 5 minutes) decides
    for _ in range(9):
        transport = httpx.ASGITransport(app=gateway_app, client=(random_ip(), 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            statuses.append((await log_in(http, email, "wrong password!")).status_code)
    assert statuses[:8] == [401] * 8
    assert statuses[8] == 429
    transport = httpx.ASGITransport(app=gateway_app, client=(random_ip(), 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        blocked = await log_in(http, email)  # even the right password waits for the block to end
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert "Trop de tentatives" in blocked.text


async def test_a_post_without_the_csrf_token_changes_nothing(client: httpx.AsyncClient,
                                                              gw_pool: asyncpg.Pool) -> None:
    email = await make_user(gw_pool)
    await log_in(client, email)
    visitor = await visitor_says(client, "Bonjour, livrez-vous en Belgique ?")
    sid = visitor["session_id"]
    refused = await client.post(f"/admin/conversations/{sid}/takeover", data={})
    assert refused.status_code == 403 and "expiré" in refused.text
    forged = await client.post(f"/admin/conversations/{sid}/takeover", data={"csrf": "x" * 32})
    assert forged.status_code == 403
    state = await gw_pool.fetchval("SELECT metadata->>'conversation_state' FROM app_chat_sessions "
                                   "WHERE session_id = $1", sid)
    assert state in (None, "bot")


async def test_handoff_takeover_reply_and_handback(client: httpx.AsyncClient, gw_pool: asyncpg.Pool,
                                                   gateway: Gateway, fake_llm: FakeLLMServer) -> None:
    assert gateway.live is not None
    email = await make_user(gw_pool, name="Claire")
    await log_in(client, email)
    async with gateway.live.console() as console:
        visitor = await visitor_says(client, "Je voudrais parler à un conseiller, s'il vous plaît")
        assert visitor["handoff"] is True
        sid = visitor["session_id"]
        handoff = await next_event(console, "chat.handoff.requested")
        assert handoff.session_id == sid

    assert (await client.get("/admin/waiting.json")).json()["waiting"] >= 1  # the navigation's badge
    listing = await client.get("/admin/conversations?state=waiting_human")
    assert sid[:12] in listing.text and "En attente" in listing.text
    csrf = await page_csrf(client, f"/admin/conversations/{sid}")

    async with gateway.live.session(sid) as widget, gateway.live.console() as console:
        taken = await client.post(f"/admin/conversations/{sid}/takeover", data={"csrf": csrf})
        assert taken.status_code == 303
        update = await next_event(widget, "chat.conversation.updated")
        assert update.payload.model_dump()["state"] == "human"

        calls = len(fake_llm.requests)
        held = await visitor_says(client, "Vous êtes là ?", visitor)
        assert held["mode"] == "human" and held["reply"] == ""
        assert len(fake_llm.requests) == calls  # no LLM call while a human holds it
        seen = await next_event(console, "chat.visitor_message.received")
        assert seen.payload.model_dump()["content"] == "Vous êtes là ?"

        sent = await client.post(f"/admin/conversations/{sid}/messages",
                                 data={"csrf": csrf, "content": "Bonjour, je suis Claire.", "message_id": "m-1"},
                                 headers={"Accept": "application/json"})
        assert sent.status_code == 200 and sent.json()["state"] == "human"
        posted = await next_event(widget, "chat.human_message.posted")
        assert posted.payload.model_dump()["author"] == "Claire"
        # the same message id again (a retry) is stored once
        await client.post(f"/admin/conversations/{sid}/messages",
                          data={"csrf": csrf, "content": "Bonjour, je suis Claire.", "message_id": "m-1"})

    history = await client.get(f"/v1/chat/sessions/{sid}", headers={"X-Session-Token": visitor["session_token"]})
    body = history.json()
    assert body["state"] == "human" and body["adviser"] == "Claire"
    human = [m for m in body["messages"] if m.get("author") == "Claire"]
    assert [m["content"] for m in human] == ["Bonjour, je suis Claire."]
    transcript = await client.get(f"/admin/conversations/{sid}")
    assert "Vous êtes là ?" in transcript.text and "Bonjour, je suis Claire." in transcript.text

    key = {"Idempotency-Key": f"handback-{sid}"}
    back = await client.post(f"/admin/conversations/{sid}/handback", data={"csrf": csrf}, headers=key)
    assert back.status_code == 303
    again = await client.post(f"/admin/conversations/{sid}/handback", data={"csrf": csrf}, headers=key)
    assert again.status_code == 303  # the same request again: chat answers it from its request log
    rows = await gw_pool.fetch("SELECT request_id FROM app_request_log WHERE service = 'chat' "
                               "AND request_type = 'chat.handback' AND created_at > NOW() - INTERVAL '1 minute'")
    assert len(rows) == 1
    answered = await visitor_says(client, "Quels sont vos délais de livraison ?", visitor)
    assert answered["mode"] in ("llm", "grounded") and answered["reply"]

    async with asyncio.timeout(15):  # the audit trail, written by security from our events
        while True:
            actions = await gw_pool.fetch(
                "SELECT metadata->>'action' AS action FROM app_admin_logs WHERE category = 'audit' "
                "AND metadata->>'user' = $1", email)
            if {"logged_in", "took_over", "handed_back"} <= {r["action"] for r in actions}:
                break
            await asyncio.sleep(0.2)


async def test_search_by_email_and_text(client: httpx.AsyncClient, gw_pool: asyncpg.Pool) -> None:
    email = await make_user(gw_pool)
    await log_in(client, email)
    mark = uuid.uuid4().hex[:8]
    visitor = await visitor_says(client, f"Mon adresse est lea.{mark}@exemple.fr, un devis ?")
    other = await visitor_says(client, f"Je cherche la lampe zinzolin{mark}")
    by_email = await client.get(f"/admin/conversations?q=lea.{mark}")
    assert visitor["session_id"][:12] in by_email.text or f"lea.{mark}@exemple.fr" in by_email.text
    assert other["session_id"][:12] not in by_email.text
    by_text = await client.get(f"/admin/conversations?q=zinzolin{mark}")
    assert other["session_id"][:12] in by_text.text


@pytest.mark.parametrize("path", ["/admin/incidents", "/admin/facts", "/admin/flags", "/admin/logs"])
async def test_an_adviser_cannot_open_owner_pages(client: httpx.AsyncClient, gw_pool: asyncpg.Pool,
                                                  path: str) -> None:
    await log_in(client, await make_user(gw_pool, role="adviser", name="Paul"))
    assert (await client.get("/admin/conversations")).status_code == 200
    response = await client.get(path)
    assert response.status_code == 403 and "propriétaire" in response.text


async def test_widget_script_is_gzipped_with_an_etag_and_cached_long_when_versioned(
        client: httpx.AsyncClient) -> None:
    plain = await client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Comptoir chat widget" in plain.text
    etag = plain.headers["etag"]
    assert plain.headers["cache-control"] == "public, max-age=300"
    zipped = await client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    again = await client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    version = etag.strip('"')[:12]
    versioned = await client.get(f"/widget.js?v={version}")
    assert "immutable" in versioned.headers["cache-control"]


async def test_widget_config_follows_the_shop_facts(client: httpx.AsyncClient, gw_pool: asyncpg.Pool) -> None:
    await gw_pool.execute("INSERT INTO app_company_facts (key, value) VALUES ('widget_brand_color', '#aa3300'), "
                          "('widget_launcher_label', 'Une question ?') ON CONFLICT (key) DO UPDATE SET value = "
                          "EXCLUDED.value")
    body = (await client.get("/v1/widget/config")).json()
    assert body["brand_color"] == "#aa3300" and body["launcher_label"] == "Une question ?"
    await gw_pool.execute("UPDATE app_company_facts SET value = 'red;}body{display:none' "
                          "WHERE key = 'widget_brand_color'")
    assert (await client.get("/v1/widget/config")).json()["brand_color"] is None  # never CSS from a fact


def test_opening_hours_format() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from services.gateway.console import hours

    paris = ZoneInfo("Europe/Paris")
    spec = "lun-ven 09:00-12:30,14:00-18:00; sam 10:00-12:00"
    wednesday_noon = datetime(2026, 12, 2, 12, 0, tzinfo=paris)
    assert hours.availability(spec, wednesday_noon) == (True, None)
    lunch = datetime(2026, 12, 2, 13, 0, tzinfo=paris)
    assert hours.availability(spec, lunch) == (False, datetime(2026, 12, 2, 14, 0, tzinfo=paris))
    saturday_evening = datetime(2026, 12, 5, 19, 0, tzinfo=paris)
    assert hours.availability(spec, saturday_evening)[1] == datetime(2026, 12, 7, 9, 0, tzinfo=paris)
    assert hours.parse("fri-mon 22:00-23:30").slots.keys() == {4, 5, 6, 0}
    for bad in ("lundi", "mon 9-18", "mon 18:00-09:00", "xyz 10:00-11:00", ""):
        with pytest.raises(hours.HoursError):
            hours.parse(bad)
    assert hours.availability(None) == (True, None)
    # the shop's zone (COMPTOIR_TIMEZONE): noon in Paris is 06:00 in Montreal, before its opening
    montreal = ZoneInfo("America/Montreal")
    assert hours.availability(spec, wednesday_noon, zone=montreal) == (
        False, datetime(2026, 12, 2, 9, 0, tzinfo=montreal))


async def test_cli_creates_a_user_who_can_log_in(client: httpx.AsyncClient, gw_settings: Any) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    comptoir = str(Path(sys.executable).parent / "comptoir")
    env = {**os.environ, "LOG_JSON": "true", "COMPTOIR_ENV": "test",
           "DATABASE_URL": gw_settings.database_url.get_secret_value()}
    email = f"cli-{uuid.uuid4().hex[:6]}@shop.example"

    def run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([comptoir, "admin", "create-user", *args], input=stdin, capture_output=True,
                              text=True, timeout=60, env=env, check=False)

    short = await asyncio.to_thread(run, email, "--role", "adviser", stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr and "Traceback" not in short.stderr
    made = await asyncio.to_thread(run, email, "--role", "adviser", "--name", "Paul", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == f"created adviser {email} (Paul)"
    assert (await log_in(client, email)).status_code == 303


async def test_handoff_webhook_is_signed_and_carries_the_event_id(backend: dict[str, Any]) -> None:
    import hashlib
    import hmac

    from aiohttp import web

    from libs.common.errors import InvalidMessage
    from libs.common.events.chat import ChatHandoffRequested
    from libs.common.messages import Envelope
    from services.chat.handoff_webhook import HandoffWebhookSettings, post_handoff

    received: list[tuple[dict[str, str], bytes]] = []
    answer = {"status": 200}

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=answer["status"])

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        event = ChatHandoffRequested(session_id="cs_" + "h" * 22, reason="visitor_asked", message="un conseiller")
        envelope = Envelope.wrap(event, source="chat")
        ctx = backend["chat"].for_message(envelope)
        settings = HandoffWebhookSettings(url=f"http://127.0.0.1:{port}/hook", secret="s3cret")
        await post_handoff(event, ctx, settings=settings)
        headers, body = received[0]
        assert headers["Webhook-Id"] == str(envelope.id)
        stamp, mac = (part.split("=", 1)[1] for part in headers["Comptoir-Signature"].split(","))
        expected = hmac.new(b"s3cret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(mac, expected)
        assert json.loads(body)["data"]["reason"] == "visitor_asked"
        answer["status"] = 410
        with pytest.raises(InvalidMessage):  # a refusal is parked, not retried forever
            await post_handoff(event, ctx, settings=settings)
        await post_handoff(event, ctx, settings=HandoffWebhookSettings(url=None))  # not configured: nothing
        assert len(received) == 2
    finally:
        await runner.cleanup()


async def test_prompt_history_diff_and_rollback(client: httpx.AsyncClient, gw_pool: asyncpg.Pool) -> None:
    from tests.gateway.conftest import ADMIN_TOKEN

    name = f"p_{uuid.uuid4().hex[:6]}"
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for content in ("Tu es Lumi.", "Tu es Lumi, de Lyon."):  # the admin API keeps versions too
        changed = await client.put(f"/v1/admin/prompts/{name}", json={"content": content}, headers=auth)
        assert changed.status_code == 200
    await log_in(client, await make_user(gw_pool))
    history = await client.get(f"/admin/prompts/{name}/history")
    assert history.status_code == 200 and '<span class="add">+Tu es Lumi, de Lyon.</span>' in history.text
    csrf = csrf_of(history.text)
    empty = await client.post(f"/admin/prompts/{name}", data={"csrf": csrf, "content": "  "})
    assert empty.status_code == 422 and "obligatoire" in empty.text
    back = await client.post(f"/admin/prompts/{name}/rollback", data={"csrf": csrf, "version": "1"})
    assert back.status_code == 303
    row = await gw_pool.fetchrow("SELECT content, version FROM app_prompt_store WHERE name = $1", name)
    assert row is not None and (row["content"], row["version"]) == ("Tu es Lumi.", 3)
    unknown = await client.post("/admin/flags", data={"csrf": csrf, "name": "madeUpFlag", "value": "true"})
    assert unknown.status_code == 422 and "madeUpFlag" in unknown.text
    hours = await client.post("/admin/facts", data={"csrf": csrf, "key": "opening_hours", "value": "lun 9h-18h"})
    assert hours.status_code == 422 and "HH:MM-HH:MM" in hours.text


async def test_leads_show_score_intents_and_purchases_and_flags_speak_english(client: httpx.AsyncClient,
                                                                              gw_pool: asyncpg.Pool) -> None:
    mark = uuid.uuid4().hex[:6]
    await gw_pool.execute(
        "INSERT INTO app_leads (email, name, score, metadata, purchase_count, total_spend) "
        "VALUES ($1, 'Léa', 72, $2, 2, 259.00)", f"lea.{mark}@exemple.fr", {"intents": ["quote", "shipping"]})
    await log_in(client, await make_user(gw_pool))
    page = (await client.get("/admin/leads")).text
    assert f"lea.{mark}@exemple.fr" in page and "quote, shipping" in page and "259" in page
    english = await client.get("/admin/flags?lang=en")
    assert "Switches the language model off" in english.text and 'lang="en"' in english.text


async def test_a_second_gateway_replica_delivers_the_advisers_message(
        client: httpx.AsyncClient, gw_pool: asyncpg.Pool, gw_settings: Any) -> None:
    """The adviser posts through one gateway, the visitor's widget listens on another: the broker fans out."""
    from services.gateway.app import create_app
    from tests.gateway.conftest import gateway_config

    other = create_app(gw_settings, gateway_config(), pool=gw_pool, run_relay=False)
    async with other.router.lifespan_context(other):
        replica: Gateway = other.state.gateway
        assert replica.live is not None
        await log_in(client, await make_user(gw_pool, name="Inès"))
        visitor = await visitor_says(client, "Bonjour, avez-vous des abat-jour en lin ?")
        sid = visitor["session_id"]
        csrf = await page_csrf(client, f"/admin/conversations/{sid}")
        async with replica.live.session(sid) as widget:
            sent = await client.post(f"/admin/conversations/{sid}/messages",
                                     data={"csrf": csrf, "content": "Oui, en trois tailles.", "message_id": "r-1"},
                                     headers={"Accept": "application/json"})
            assert sent.status_code == 200
            posted = await next_event(widget, "chat.human_message.posted")
            assert posted.payload.model_dump()["author"] == "Inès"


async def test_an_expired_session_sends_a_form_back_to_login_then_to_its_page(
        client: httpx.AsyncClient, gw_pool: asyncpg.Pool) -> None:
    await log_in(client, await make_user(gw_pool))
    visitor = await visitor_says(client, "Bonjour !")
    sid = visitor["session_id"]
    page = f"http://gateway.test/admin/conversations/{sid}"
    csrf = await page_csrf(client, f"/admin/conversations/{sid}")
    await gw_pool.execute("UPDATE app_console_sessions SET expires_at = NOW() - INTERVAL '1 minute'")
    posted = await client.post(f"/admin/conversations/{sid}/messages", data={"csrf": csrf, "content": "Bonjour"},
                               headers={"Referer": page})
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/admin/login?next=/admin/conversations/{sid}"
    login_page = await client.get(posted.headers["location"])
    assert f'name="next" value="/admin/conversations/{sid}"' in login_page.text


async def test_a_pdf_upload_goes_to_the_file_store_and_a_fake_pdf_is_refused(
        client: httpx.AsyncClient, gw_pool: asyncpg.Pool) -> None:
    from fpdf import FPDF

    await log_in(client, await make_user(gw_pool))
    csrf = await page_csrf(client, "/admin/knowledge")
    mark = uuid.uuid4().hex[:8]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=f"Catalogue {mark}")
    data = bytes(pdf.output())
    sent = await client.post("/admin/knowledge/upload", data={"csrf": csrf, "category": "faq"},
                             files={"file": (f"Catalogue {mark}.pdf", data, "application/pdf")})
    assert sent.status_code == 303, sent.text
    row = await gw_pool.fetchrow("SELECT envelope->'data' AS payload FROM app_outbox "
                                 "WHERE type = 'knowledge.ingest' AND envelope->'data'->>'source' = $1",
                                 f"upload:Catalogue {mark}.pdf")
    assert row is not None and row["payload"]["format"] == "pdf" and row["payload"]["text"] is None
    key = row["payload"]["file_key"]
    assert key.startswith("uploads/") and key.endswith(f"/Catalogue_{mark}.pdf")
    stored = await gw_pool.fetchrow("SELECT written_by, content_type, data FROM app_files WHERE key = $1", key)
    assert stored is not None and stored["written_by"] == "gateway" and bytes(stored["data"]) == data

    fake = await client.post("/admin/knowledge/upload", data={"csrf": csrf},
                             files={"file": ("menu.pdf", b"<html>pas un pdf</html>", "application/pdf")})
    assert fake.status_code == 422 and "pas un PDF" in fake.text
