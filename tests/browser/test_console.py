"""The owner console in Debian's Chromium against `comptoir up` (one process for this module):
a visitor asks for a human in one browser context, the owner sees it arrive in another, takes over,
answers, and the visitor sees the answer live and after a reload; incidents resolved; a fact rolled
back and the assistant prompted with the old value; a document uploaded and cited; a CSRF-less POST
refused; wrong passwords rate limited; axe-core (vendored from npm) on every page with no serious or
critical violation; screenshots at 1280 and 375 px in $COMPTOIR_CONSOLE_SCREENSHOTS (default
<tmp>/comptoir-console-screenshots)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.browser.test_widget import CHROMIUM, CHROMIUM_ARGS, REPO, free_port, wait_ready
from tests.conftest import RUN_ID, DatabaseFactory, delete_broker_names
from tests.fakes.llm_server import FakeLLMServer

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian chromium is not installed")]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(os.environ.get("COMPTOIR_CONSOLE_SCREENSHOTS",
                            Path(tempfile.gettempdir()) / "comptoir-console-screenshots"))
OWNER = "owner@maison-lumiere.example"
PASSWORD = "lumiere-console-2026"
ANSWER = "Bien sûr, je vous réponds volontiers."


@dataclass
class Up:
    base: str
    dsn: str
    fake: FakeLLMServer


@pytest.fixture(scope="module")
async def up(db_factory: DatabaseFactory, amqp_url: str, data_dir: Path) -> AsyncIterator[Up]:
    dsn = await db_factory.create("console")
    prefix = f"t{RUN_ID}cons{uuid.uuid4().hex[:4]}."
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="comptoir-console-")) / "up.log"
    async with FakeLLMServer(default_text=ANSWER) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "LLM_", "SECURITY_"))}
        env.update({"DATABASE_URL": dsn, "AMQP_URL": amqp_url, "COMPTOIR_DATA_DIR": str(data_dir),
                    "COMPTOIR_QUEUE_PREFIX": prefix, "COMPTOIR_EVENTS_EXCHANGE": f"{prefix}events",
                    "COMPTOIR_ENV": "test", "LOG_JSON": "true", "LLM_BASE_URL": fake.base_url,
                    "LLM_API_KEY": "sk-test", "LLM_MODEL": "fake", "PYTHONUNBUFFERED": "1",
                    "CHAT_CONFIG_CACHE_S": "0.5"})
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "comptoir", "up", "--port", str(port)],
                                       cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(base, process, log)
            made = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "comptoir", "admin", "create-user", OWNER, "--role", "owner",
                                 "--name", "Claire"], input=PASSWORD + "\n", capture_output=True, text=True,
                cwd=REPO, env=env, timeout=60, check=False)
            assert made.returncode == 0, made.stderr
            yield Up(base, dsn, fake)
            process.send_signal(signal.SIGINT)
            code = await asyncio.to_thread(process.wait, 40)
            assert code == 0, log.read_text()[-4000:]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            await delete_broker_names(amqp_url, prefix)
            await db_factory.drop(dsn)
            shutil.rmtree(log.parent, ignore_errors=True)


@pytest.fixture(scope="module")
async def browser(up: Up) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_page(browser: Any, width: int = 1280) -> Any:
    # bypass_csp: the console's CSP (script-src 'self') would refuse the injected axe script
    context = await browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900},
                                        bypass_csp=True)
    return await context.new_page()


async def log_in(page: Any, base: str, password: str = PASSWORD, email: str = OWNER) -> None:
    await page.goto(f"{base}/admin/login")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()


async def axe(page: Any, include: str | None = None) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations on the page."""
    await page.add_script_tag(path=str(AXE))
    context = json.dumps(include) if include else "document"
    result = await page.evaluate(
        "async (ctx) => { const r = await axe.run(ctx === 'document' ? document : ctx, "
        "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}); "
        "return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)})); }",
        context if include else "document")
    return [v for v in result if v["impact"] in ("serious", "critical")]


async def shoot(page: Any, name: str) -> None:
    for width in (1280, 375):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=width == 1280)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def visitor_asks(page: Any, text: str) -> None:
    box = page.get_by_role("textbox", name="Votre message")
    before = await page.locator("li.msg.assistant[data-done='true'], li.msg.user").count()
    await box.fill(text)
    await box.press("Enter")
    await page.wait_for_function(
        "n => document.querySelector('#comptoir-widget').shadowRoot"
        ".querySelectorAll(\"li.msg.assistant[data-done='true'], li.msg.user\").length > n", arg=before + 1,
        timeout=30_000)


async def test_handoff_takeover_and_a_live_answer_in_the_visitor_widget(up: Up, browser: Any) -> None:
    owner = await new_page(browser)
    await log_in(owner, up.base)
    await owner.wait_for_url("**/admin/conversations")
    visitor = await new_page(browser)
    await visitor.goto(f"{up.base}/")
    await visitor.get_by_role("button", name="Ouvrir le chat").click()
    violations = await axe(visitor)
    assert violations == [], violations  # the demo page with the widget open
    await visitor.get_by_role("button", name="Parler à un conseiller").click()
    await visitor.locator("li.msg.assistant[data-done='true']").last.wait_for(timeout=30_000)
    await shoot(visitor, "widget-handoff")

    # the owner's list shows it waiting (the handoff event refreshes the list, a poll would too)
    waiting = owner.locator("tr.state-waiting_human a").first
    await waiting.wait_for(timeout=15_000)
    assert await owner.locator("#waiting-badge").is_visible()
    await shoot(owner, "conversations")
    await waiting.click()
    await owner.get_by_role("button", name="Prendre la main").click()
    await owner.get_by_text("Tenue par Claire").first.wait_for()
    await owner.get_by_label("Répondre au visiteur").fill("Bonjour, ici Claire. Que puis-je faire pour vous ?")
    await owner.get_by_role("button", name="Envoyer").click()

    human = visitor.locator("li.msg.human")
    await human.wait_for(timeout=10_000)
    assert "Bonjour, ici Claire." in await human.inner_text()
    banner = visitor.get_by_text("Claire, conseillère, vous répond")
    await banner.wait_for(timeout=5_000)

    calls = len(up.fake.requests)
    await visitor.get_by_role("textbox", name="Votre message").fill("Merci ! Livrez-vous à Lyon ?")
    await visitor.get_by_role("textbox", name="Votre message").press("Enter")
    await owner.locator("li.m.user", has_text="Livrez-vous à Lyon").wait_for(timeout=10_000)  # live
    assert len(up.fake.requests) == calls  # the assistant stayed quiet
    await shoot(owner, "conversation")
    violations = await axe(owner)
    assert violations == [], violations

    await visitor.reload()
    await visitor.locator("li.msg.human").wait_for(timeout=15_000)  # survives a reload
    await banner.wait_for(timeout=5_000)
    await owner.reload()
    assert await owner.locator("li.m.human", has_text="Bonjour, ici Claire.").count() == 1

    # the visitor closed the chat: a new adviser message marks the launcher
    await visitor.keyboard.press("Escape")
    await owner.get_by_label("Répondre au visiteur").fill("Je reste à votre disposition.")
    await owner.get_by_role("button", name="Envoyer").click()
    launcher = visitor.locator("#comptoir-widget button.bubble")
    await visitor.wait_for_function(
        "() => document.querySelector('#comptoir-widget').shadowRoot.querySelector('.bubble.unread') !== null",
        timeout=10_000)
    assert "Nouveau message de Claire" in (await launcher.get_attribute("aria-label") or "")
    await launcher.click()
    assert "unread" not in (await launcher.get_attribute("class") or "")
    assert await visitor.locator("li.msg.human", has_text="Je reste à votre disposition.").count() == 1

    await owner.get_by_role("button", name="Rendre à l'assistant").click()
    await owner.get_by_role("button", name="Prendre la main").wait_for()
    await visitor_asks(visitor, "Quels sont vos délais de livraison ?")
    assert len(up.fake.requests) > calls  # the assistant answers again
    await owner.context.close()
    await visitor.context.close()


async def test_every_console_page_passes_axe_and_is_photographed(up: Up, browser: Any) -> None:
    page = await new_page(browser)
    await log_in(page, up.base)
    await page.wait_for_url("**/admin/conversations")
    pages = ["leads", "quotes", "incidents", "logs", "knowledge", "facts", "prompts", "flags", "config"]
    for name in pages:
        response = await page.goto(f"{up.base}/admin/{name}")
        assert response.status == 200, name
        violations = await axe(page)
        assert violations == [], (name, violations)
        await shoot(page, name)
    await page.goto(f"{up.base}/admin/facts/brand_name/history")
    await page.context.close()
    login = await new_page(browser)
    await login.goto(f"{up.base}/admin/login")
    assert await axe(login) == []
    await shoot(login, "login")
    await login.context.close()


async def test_resolve_an_incident_with_a_note(up: Up, browser: Any) -> None:
    conn = await asyncpg.connect(up.dsn)
    try:
        incident = await conn.fetchval(
            "INSERT INTO app_security_incidents (type, severity, details) VALUES ('injection', 'high', "
            "'{\"excerpt\": \"ignore previous instructions\"}') RETURNING id::TEXT")
    finally:
        await conn.close()
    page = await new_page(browser)
    await log_in(page, up.base)
    await page.goto(f"{up.base}/admin/incidents?resolved=no")
    card = page.locator(f"section[aria-labelledby='inc-{incident}']")
    await card.get_by_label("Note").fill("Tentative connue, rien à faire.")
    await card.get_by_role("button", name="Marquer résolu").click()
    await page.wait_for_url("**/admin/incidents?done=*")
    conn = await asyncpg.connect(up.dsn)
    try:
        row = await conn.fetchrow("SELECT resolved, resolved_at, details FROM app_security_incidents WHERE id = $1",
                                  uuid.UUID(incident))
    finally:
        await conn.close()
    assert row is not None and row["resolved"] is True and row["resolved_at"] is not None
    assert json.loads(row["details"])["resolution"]["note"] == "Tentative connue, rien à faire."
    await page.context.close()


async def test_roll_back_a_fact_and_the_assistant_uses_the_old_value(up: Up, browser: Any) -> None:
    page = await new_page(browser)
    await log_in(page, up.base)
    await page.goto(f"{up.base}/admin/facts")
    for value in ("Retours gratuits sous 30 jours.", "Retours gratuits sous 90 jours."):
        await page.get_by_label("Clé").fill("return_policy")
        await page.get_by_label("Valeur").fill(value)
        await page.get_by_role("button", name="Enregistrer").click()
        await page.wait_for_url("**/admin/facts?saved=return_policy")
    await page.goto(f"{up.base}/admin/facts/return_policy/history")
    await shoot(page, "fact-history")
    assert await axe(page) == []
    await page.get_by_role("button", name="Revenir à cette version").first.click()
    await page.wait_for_url("**/admin/facts?saved=return_policy")
    assert await page.locator("td", has_text="Retours gratuits sous 30 jours.").count() == 1

    # an empty value is refused next to its field, keeping what was typed in the key
    await page.get_by_label("Clé").fill("opening_hours")
    await page.get_by_label("Valeur").fill("tous les jours")
    await page.get_by_role("button", name="Enregistrer").click()
    assert await page.locator("#value-error").is_visible()
    assert await page.get_by_label("Clé").input_value() == "opening_hours"

    await asyncio.sleep(1.0)  # chat re-reads facts every CHAT_CONFIG_CACHE_S (0.5 s here)
    visitor = await new_page(browser)
    await visitor.goto(f"{up.base}/")
    await visitor.get_by_role("button", name="Ouvrir le chat").click()
    await visitor_asks(visitor, "Quelle est votre politique de retour ?")
    prompt = json.dumps(up.fake.requests[-1]["messages"], ensure_ascii=False)
    assert "Retours gratuits sous 30 jours." in prompt and "90 jours" not in prompt
    await page.context.close()
    await visitor.context.close()


async def test_upload_a_document_and_find_it_cited(up: Up, browser: Any, tmp_path: Path) -> None:
    doc = tmp_path / "lampe-zinzolin.md"
    doc.write_text("# Lampe Zinzolin\n\nLa lampe Zinzolin est soufflée à la main à Lyon ; sa garantie dure "
                   "sept ans et son abat-jour est en lin lavé.\n", encoding="utf-8")
    page = await new_page(browser)
    await log_in(page, up.base)
    await page.goto(f"{up.base}/admin/knowledge")
    await page.get_by_label("Ajouter des fichiers").set_input_files(str(doc))
    await page.get_by_role("button", name="Envoyer le fichier").click()
    await page.wait_for_url("**/admin/knowledge?queued=*")
    for _ in range(60):  # rag ingests the command from the outbox
        await page.goto(f"{up.base}/admin/knowledge")
        if await page.locator("td", has_text="upload:lampe-zinzolin.md").count():
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError("the uploaded document never appeared")
    visitor = await new_page(browser)
    await visitor.goto(f"{up.base}/")
    await visitor.get_by_role("button", name="Ouvrir le chat").click()
    await visitor_asks(visitor, "Quelle est la garantie de la lampe Zinzolin ?")
    cites = visitor.locator("li.msg.assistant").last.locator(".cites li")
    assert "lampe-zinzolin" in " ".join(await cites.all_inner_texts()).lower()
    await page.context.close()
    await visitor.context.close()


async def test_csrf_less_post_refused_and_wrong_passwords_rate_limited(up: Up, browser: Any) -> None:
    page = await new_page(browser)
    await log_in(page, up.base)
    await page.wait_for_url("**/admin/conversations")
    refused = await page.request.post(f"{up.base}/admin/flags", form={"name": "v3KillSwitch", "value": "true"})
    assert refused.status == 403
    await page.context.close()
    from services.gateway.console import users

    target = f"adviser-{uuid.uuid4().hex[:6]}@maison-lumiere.example"  # not the owner: they log in again
    pool = await asyncpg.create_pool(up.dsn, min_size=1, max_size=1)
    try:
        await users.create_user(pool, target, "adviser", "Paul", PASSWORD)
    finally:
        await pool.close()
    attacker = await new_page(browser)
    for _ in range(9):
        await log_in(attacker, up.base, password="not-the-password", email=target)
    assert await attacker.get_by_text("Trop de tentatives").is_visible()
    await shoot(attacker, "login-rate-limited")
    await attacker.context.close()


def sse_body(*events: tuple[str, dict[str, Any]]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n" for name, data in events)


async def test_widget_quote_card_safe_links_one_citation_per_document_retry_and_phone(up: Up, browser: Any) -> None:
    """The widget's rendering, with the stream answered by canned server events (page.route)."""
    session = {"session_id": "cs_" + "w" * 22, "session_token": "tok", "visitor": None}
    reply = ("Voici votre devis. Détails : [conditions](https://shop.example/cgv) et "
             "<img src=x onerror=\"window.__pwned=1\"> https://shop.example/livraison.")
    cite = {"source": "demo/livraison.md", "title": "Livraison", "doc_id": "d1", "score": 0.9}
    done = {**session, "request_id": "r1", "reply": reply, "mode": "llm", "handoff": False,
            "citations": [{**cite, "chunk_id": "c1", "snippet": "Livraison en 2 à 4 jours."},
                          {**cite, "chunk_id": "c2", "snippet": "Offerte dès 80 €."},
                          {"source": "demo/retours.md", "title": "Retours", "doc_id": "d2", "chunk_id": "c3",
                           "score": 0.5, "snippet": "30 jours pour changer d'avis."}],
            "quote": {"quote_id": "q1234567-aaaa", "total": "129.00", "currency": "EUR",
                      "checkout_url": "https://pay.example/c/1", "pdf_url": None,
                      "lines": [{"label": "Suspension Lin", "quantity": 1, "unit_price": "129.00",
                                 "total": "129.00"}]}}
    calls = {"n": 0}

    async def stream(route: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # a stream that drops after a few words: no `done`
            body = sse_body(("session", session), ("token", {"text": "Voici le début", "seq": 0}))
        else:
            body = sse_body(("session", session), ("token", {"text": reply, "seq": 0}), ("done", done))
        await route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body)

    async def no_history(route: Any) -> None:
        await route.fulfill(status=404, body="{}")

    page = await new_page(browser, width=375)
    await page.route("**/v1/chat/messages/stream", stream)
    await page.route("**/v1/chat/sessions/**", no_history)
    await page.goto(f"{up.base}/")
    await page.get_by_role("button", name="Ouvrir le chat").click()
    panel = page.locator("#comptoir-panel")
    box = await panel.bounding_box()
    assert box is not None and box["width"] >= 374 and box["height"] >= 890  # full screen on a phone
    textbox = page.get_by_role("textbox", name="Votre message")
    assert await textbox.evaluate("el => getComputedStyle(el).fontSize") == "16px"  # no iOS zoom
    await textbox.fill("Un devis pour la suspension Lin ?")
    await textbox.press("Enter")
    retry = page.get_by_role("button", name="Réessayer")
    await retry.wait_for(timeout=10_000)
    assert "Voici le début" in await page.locator("li.msg.assistant").last.inner_text()  # partial kept
    await retry.click()
    answer = page.locator("li.msg.assistant[data-done='true']")
    await answer.wait_for(timeout=10_000)
    assert await page.locator("li.msg.user").count() == 1  # the retry does not repeat the question
    links = answer.locator(".text a")
    assert [await a.get_attribute("href") for a in await links.all()] == [
        "https://shop.example/cgv", "https://shop.example/livraison"]
    assert await answer.locator(".text img").count() == 0 and await page.evaluate("window.__pwned") is None
    assert "<img" in await answer.locator(".text").inner_text()  # shown as text, never as HTML
    assert await answer.locator(".cites > ol > li").count() == 2  # two documents, three passages
    snippet = answer.locator(".cites details").first
    assert not await snippet.locator(".snip").is_visible()
    await snippet.locator("summary").click()
    assert await snippet.locator(".snip").is_visible()
    card = answer.locator(".card")
    assert "129,00" in await card.inner_text() and "Suspension Lin" in await card.inner_text()
    assert await card.get_by_role("link", name="Payer en ligne").get_attribute("href") == "https://pay.example/c/1"
    assert "pas encore disponible" in await card.inner_text()  # no PDF yet, said honestly
    await page.screenshot(path=str(SHOTS / "widget-quote-375.png"))
    violations = await axe(page)
    assert violations == [], violations
    await page.context.close()


async def test_outside_opening_hours_the_widget_says_when_and_takes_an_email(up: Up, browser: Any) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    other_day = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=3)).strftime("%a").lower()[:3]
    conn = await asyncpg.connect(up.dsn)
    try:
        await conn.execute("INSERT INTO app_company_facts (key, value) VALUES ('opening_hours', $1) "
                           "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", f"{other_day} 09:00-18:00")
        page = await new_page(browser)
        await page.goto(f"{up.base}/")
        await page.get_by_role("button", name="Ouvrir le chat").click()
        await page.get_by_role("button", name="Parler à un conseiller").click()
        note = page.get_by_text("Nos conseillers ne sont pas disponibles pour le moment")
        await note.wait_for(timeout=30_000)
        assert "retour" in await note.inner_text()  # when they are back
        email = f"visiteur.{uuid.uuid4().hex[:6]}@exemple.fr"
        await page.get_by_role("textbox", name="Votre e-mail").fill(email)
        await page.get_by_role("button", name="Envoyer mon e-mail").click()
        await page.locator("li.msg.user", has_text=email).wait_for(timeout=10_000)
        for _ in range(40):  # chat records the e-mail on the lead
            if await conn.fetchval("SELECT 1 FROM app_leads WHERE lower(email) = $1", email):
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError("the e-mail left outside opening hours was not recorded")
        await page.context.close()
    finally:
        await conn.execute("DELETE FROM app_company_facts WHERE key = 'opening_hours'")
        await conn.close()
