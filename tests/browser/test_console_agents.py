"""The console's agents pages in Debian's Chromium, against the real agents and security services and the
gateway (one set for this module, in the test's process, on a database and broker names of their own)
with the fake OpenAI-compatible server scripted per test: an objective created from the form pauses at
its approval and the run page follows it live; an invalid JSON edit is refused next to the field; the
edited arguments are approved with one click and the tool runs once with them; a rejection with a
reason from the approvals page reaches the model; a decision on a closed or unknown approval is a
clear 409 / 404; the super chat answers a command from the data and keeps its history; axe-core finds
no serious or critical violation on any agents page; screenshots in $COMPTOIR_CONSOLE_SCREENSHOTS."""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from libs.common.db import create_pool
from libs.common.events.agents import ApprovalList, CreateObjective, ListApprovals, ObjectiveReply
from libs.common.llm import LLMSettings
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.gateway.console import users
from tests.browser.console_stack import owner_page, served
from tests.browser.test_console import axe, log_in, new_page, shoot
from tests.browser.test_widget import CHROMIUM, free_port
from tests.conftest import RUN_ID, DatabaseFactory, delete_broker_names, eventually, make_settings
from tests.fakes.llm_server import FakeLLMServer, Step

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian chromium is not installed")]
OWNER = "owner@maison-lumiere.example"
PASSWORD = "lumiere-console-2026"
SEED = """
INSERT INTO app_leads (email, name, source, score, created_at) VALUES
  ('marie@exemple.fr', 'Marie Dupont', 'chatbot', 80, NOW() - INTERVAL '1 day'),
  ('paul@exemple.fr', 'Paul Martin', 'chatbot', 40, NOW() - INTERVAL '2 days');
"""


@dataclass
class Stack:
    base: str
    pool: asyncpg.Pool
    rpc: RpcClient
    fake: FakeLLMServer


@pytest.fixture(scope="module")
async def stack(db_factory: DatabaseFactory, amqp_url: str, data_dir: Path) -> AsyncIterator[Stack]:
    from services.agents.app import svc as agents_svc
    from services.security.app import build_deps as security_deps
    from services.security.app import svc as security_svc
    from services.security.config import SecuritySettings

    dsn = await db_factory.create_migrated("consoleagents")
    prefix = f"t{RUN_ID}cag{uuid.uuid4().hex[:4]}."
    settings: Settings = make_settings(dsn, amqp_url, data_dir, prefix)
    pool = await create_pool(settings, min_size=1, max_size=20)
    await pool.execute(SEED)
    await users.create_user(pool, OWNER, "owner", "Claire", PASSWORD)
    port = free_port()
    try:
        async with contextlib.AsyncExitStack() as stack, FakeLLMServer(default_text="Terminé.") as fake:
            llm = LLMSettings(base_url=fake.base_url, api_key="sk-test", model="fake", timeout_s=5, max_retries=0)
            await stack.enter_async_context(security_svc.running(settings, pool,
                                                                 {"security": security_deps(SecuritySettings())}))
            await stack.enter_async_context(agents_svc.running(settings, pool, {"llm_settings": llm}))
            app = create_app(settings, GatewaySettings(admin_token="agents-console-token-0123456789"), pool=pool)
            base = await stack.enter_async_context(served(app, port))
            rpc = await stack.enter_async_context(RpcClient(settings, source="test"))
            yield Stack(base, pool, rpc, fake)
    finally:
        await pool.close()
        await delete_broker_names(amqp_url, prefix)
        await db_factory.drop(dsn)


@pytest.fixture(scope="module")
async def owner(stack: Stack) -> AsyncIterator[Any]:
    """One logged-in owner page for the module (the browser is closed before the servers stop)."""
    async with owner_page(stack.base, OWNER, PASSWORD) as page:
        yield page


def list_leads_call(call_id: str, days: int = 7) -> Step:
    return Step(tool_calls=[{"id": call_id, "name": "list_leads", "arguments": json.dumps({"since_days": days})}])


async def no_violations(page: Any, name: str) -> None:
    violations = await axe(page)
    assert violations == [], (name, violations)


async def test_an_objective_from_the_form_paused_then_approved_with_edited_arguments(owner: Any,
                                                                                     stack: Stack) -> None:
    page = owner
    stack.fake.script(list_leads_call("call_edit"), Step(text="Deux prospects récents à relancer."))
    await page.goto(f"{stack.base}/admin/agents/objectives/new")
    await no_violations(page, "objective form")
    await page.get_by_label("Agent", exact=True).select_option("sales_agent")
    await page.get_by_label("Titre", exact=True).fill("Relancer les leads de la semaine")
    await page.get_by_label("Description", exact=True).fill("Liste les leads récents et propose une relance.")
    await page.locator("input[name=tools][value=list_leads]").check()
    await page.get_by_label("Risque à partir duquel votre accord est demandé").select_option("low")
    await page.get_by_label("Étapes au plus").fill("0")  # refused next to the field, the rest kept
    await page.get_by_role("button", name="Créer l'objectif").click()
    await page.get_by_text("Un nombre entier de 1 à 1000.").wait_for()
    assert await page.get_by_label("Titre", exact=True).input_value() == "Relancer les leads de la semaine"
    assert await page.locator("input[name=tools][value=list_leads]").is_checked()
    await page.get_by_label("Étapes au plus").fill("5")
    await page.get_by_role("button", name="Créer l'objectif").click()
    await page.wait_for_url("**/admin/agents/runs/*")
    run_id = page.url.split("/runs/")[1].split("?")[0]

    # the page follows the run live: it pauses for the approval of list_leads
    await page.locator("#run-live[data-status='paused']").wait_for(timeout=20_000)
    pending = page.locator("section.pending")
    await pending.get_by_text("list_leads").first.wait_for()
    await page.locator("#approvals-badge:not([hidden])", has_text="1").wait_for(timeout=15_000)  # the nav says so
    await shoot(page, "agents-run-paused")
    await no_violations(page, "run paused")

    # an edit that is not JSON is refused next to the field, nothing decided
    await pending.get_by_text("Modifier les arguments (JSON)").click()
    await pending.get_by_role("textbox", name="Arguments").fill("{pas du json")
    await pending.get_by_role("button", name="Approuver list_leads").click()
    await page.get_by_text("Ce n'est pas un objet JSON valide.").wait_for()
    assert await page.locator("[aria-invalid='true']").count() == 1

    # edited arguments, approved with one click: the tool runs once with them and the run completes
    pending = page.locator("section.pending")
    await pending.get_by_role("textbox", name="Arguments").fill('{"since_days": 3}')
    await pending.get_by_role("button", name="Approuver list_leads").click()
    await page.wait_for_url(f"**/admin/agents/runs/{run_id}?done=approved")
    await page.get_by_text("Approuvé : l'agent reprend.").wait_for()
    assert await page.locator("#approvals-badge").is_hidden()
    await page.locator("#run-live[data-status='completed']").wait_for(timeout=20_000)
    await page.get_by_text("Deux prospects récents à relancer.").first.wait_for()
    timeline = page.locator("ol.timeline")
    assert await timeline.locator(".call-succeeded", has_text="list_leads").count() == 1
    assert await timeline.locator(".pill.call-succeeded").inner_text() == "réussi"
    assert await page.locator("tr.event[data-event='approval_granted']").count() == 1
    await shoot(page, "agents-run")
    await no_violations(page, "run completed")
    calls = await stack.pool.fetch("SELECT tool_name, args FROM app_agent_tool_calls WHERE run_id = $1",
                                   uuid.UUID(run_id))
    assert len(calls) == 1 and calls[0]["tool_name"] == "list_leads"
    args = calls[0]["args"] if isinstance(calls[0]["args"], dict) else json.loads(calls[0]["args"])
    assert args["since_days"] == 3  # the owner's edit, not the model's 7
    budget = await stack.pool.fetchval("SELECT o.budget FROM app_agent_objectives o JOIN app_agent_runs r "
                                       "ON r.objective_id = o.id WHERE r.id = $1", uuid.UUID(run_id))
    budget = budget if isinstance(budget, dict) else json.loads(budget)
    steps = budget.get("max_steps", budget.get("maxSteps"))
    duration = budget.get("max_duration_ms", budget.get("maxDurationMs"))
    assert steps == 5 and duration == 300_000  # from the form

    # the runs list, filtered by status
    await page.goto(f"{stack.base}/admin/agents/runs?status=completed")
    assert await page.locator(f"tr[data-run='{run_id}']").count() == 1
    await no_violations(page, "runs")
    await shoot(page, "agents-runs")
    await page.goto(f"{stack.base}/admin/agents/runs?status=failed")
    assert await page.locator(f"tr[data-run='{run_id}']").count() == 0


async def _paused_run(stack: Stack, call_id: str, final: str) -> tuple[str, str]:
    stack.fake.script(list_leads_call(call_id), Step(text=final))
    made = await stack.rpc.request(CreateObjective.TYPE, CreateObjective(
        agent="sales_agent", title=f"Objectif {call_id}", description="Regarde les leads.",
        tools_allowed=["list_leads"], risk_level="low", start=True), ObjectiveReply)
    assert made.run is not None
    run_id = made.run.id

    async def approval() -> str | None:
        found = await stack.rpc.request(ListApprovals.TYPE, ListApprovals(status="pending", limit=200), ApprovalList)
        return next((a.id for a in found.items if a.run_id == run_id), None)

    return run_id, await eventually(approval, timeout=20)


async def test_reject_with_a_reason_and_decisions_on_closed_approvals(owner: Any, stack: Stack) -> None:
    page = owner
    run_id, approval_id = await _paused_run(stack, "call_reject", "Compris, je ne relance personne.")
    await page.goto(f"{stack.base}/admin/agents/approvals")
    card = page.locator(f"section[data-approval='{approval_id}']")
    await card.wait_for()
    await no_violations(page, "approvals")
    await shoot(page, "agents-approvals")
    await card.get_by_label("Raison du refus (transmise à l'agent)").fill("Pas avant lundi.")
    await card.get_by_role("button", name="Refuser list_leads").click()
    await page.wait_for_url("**/admin/agents/approvals?done=rejected")
    await page.get_by_text("Refusé : l'agent en est informé.").wait_for()
    assert await page.locator(f"section[data-approval='{approval_id}']").count() == 0

    async def completed() -> bool:
        status = await stack.pool.fetchval("SELECT status FROM app_agent_runs WHERE id = $1", uuid.UUID(run_id))
        return bool(status == "completed")

    await eventually(completed, timeout=20)
    told = json.dumps(stack.fake.requests[-1]["messages"], ensure_ascii=False)
    assert "Pas avant lundi." in told  # the model was given the owner's reason

    # a second decision on it is a clear 409; an unknown approval a 404 (as a form post would get)
    post = ("async ([url, body]) => { const r = await fetch(url, {method: 'POST', body: new URLSearchParams(body),"
            " headers: {'X-CSRF-Token': document.body.dataset.csrf}}); return [r.status, await r.text()]; }")
    status, html = await page.evaluate(post, [f"/admin/agents/approvals/{approval_id}/approve", {"args": ""}])
    assert status == 409 and "déjà décidée ou a expiré" in html
    status, html = await page.evaluate(post, [f"/admin/agents/approvals/{uuid.uuid4()}/reject", {"reason": "x"}])
    assert status == 404 and "Approbation introuvable." in html
    await page.goto(f"{stack.base}/admin/agents/runs/{run_id}")
    assert await page.locator("tr.event[data-event='approval_rejected']").count() == 1

    # the same objective once more: a second run, followed to its end (the fake model answers at once)
    await page.get_by_role("button", name="Relancer l'objectif").click()
    await page.wait_for_url("**/admin/agents/runs/*?done=started")
    assert not page.url.split("?")[0].endswith(run_id)
    await page.get_by_text("Nouvelle exécution lancée.").wait_for()
    assert "N° 2" in await page.locator("h1").inner_text()
    await page.locator("#run-live[data-status='completed']").wait_for(timeout=20_000)


async def test_the_super_chat_page_and_the_registry(owner: Any, stack: Stack) -> None:
    page = owner
    calls = len(stack.fake.requests)
    await page.goto(f"{stack.base}/admin/agents/chat?new=1")
    await page.get_by_label("Votre message").fill("/leads 7j")
    await page.get_by_role("button", name="Envoyer").click()
    answer = page.locator("#chat-messages li.assistant", has_text="2 prospects ces 7 derniers jours")
    await answer.wait_for(timeout=15_000)
    assert "Marie Dupont" in await answer.inner_text()
    assert len(stack.fake.requests) == calls  # a command needs no model
    await page.get_by_label("Votre message").fill("/devis en attente")
    await page.get_by_role("button", name="Envoyer").click()
    await page.locator("#chat-messages li.assistant", has_text="0 devis en attente").wait_for(timeout=15_000)
    await no_violations(page, "super chat")
    await shoot(page, "agents-chat")
    await page.reload()  # the conversation is kept
    texts = await page.locator("#chat-messages li .text").all_inner_texts()
    assert texts[0] == "/leads 7j" and texts[2] == "/devis en attente" and len(texts) == 4

    # an objective on request, with the way to its run
    await page.get_by_label("Votre message").fill("/objectif ventes prépare une relance pour Marie")
    await page.get_by_role("button", name="Envoyer").click()
    await page.locator("#chat-messages li.assistant", has_text="Objectif créé pour sales_agent").wait_for(
        timeout=15_000)
    await page.get_by_role("link", name="Voir l'exécution").click()
    await page.wait_for_url("**/admin/agents/runs/*")
    assert "prépare une relance pour Marie" in await page.locator("h1").inner_text()

    # without JavaScript the form posts and the page comes back with the answer
    plain = await page.context.browser.new_context(locale="fr-FR", java_script_enabled=False)
    await plain.add_cookies(await page.context.cookies())
    nojs = await plain.new_page()
    await nojs.goto(f"{stack.base}/admin/agents/chat?new=1")
    await nojs.get_by_label("Votre message").fill("/approbations")
    await nojs.get_by_role("button", name="Envoyer").click()
    await nojs.wait_for_url("**/admin/agents/chat?c=*&sent=1")
    answered = nojs.locator("#chat-messages li.assistant", has_text="Aucune action n'attend votre accord.")
    assert await answered.count() == 1
    await plain.close()

    await page.goto(f"{stack.base}/admin/agents/registry")
    for name in ("sales_agent", "content_agent", "security_agent"):
        assert await page.locator(f"section[data-agent='{name}']").count() == 1
    assert await page.locator("tr[data-tool='send_email'] .pill.risk-high").count() == 1
    await no_violations(page, "registry")
    await shoot(page, "agents-registry")
    await page.goto(f"{stack.base}/admin/agents/runs?lang=en")
    assert (await page.locator("h1").inner_text()).startswith("Runs")
    assert await page.get_by_role("link", name="Owner's assistant").count() == 1
    await page.goto(f"{stack.base}/admin/agents/chat?new=1")
    await page.get_by_label("Your message").fill("/approbations")
    await page.get_by_role("button", name="Send").click()
    await page.locator("#chat-messages li.assistant", has_text="No action is waiting for your approval.").wait_for(
        timeout=15_000)
    await page.goto(f"{stack.base}/admin/agents/runs?lang=fr")

    # the agents pages are the owner's: an adviser gets 403
    await users.create_user(stack.pool, "paul@maison-lumiere.example", "adviser", "Paul", PASSWORD)
    adviser = await new_page(page.context.browser)
    await log_in(adviser, stack.base, PASSWORD, "paul@maison-lumiere.example")
    await adviser.wait_for_url("**/admin/conversations")
    for path in ("runs", "approvals", "registry", "chat", "objectives/new"):
        response = await adviser.goto(f"{stack.base}/admin/agents/{path}")
        assert response.status == 403, path
    assert await adviser.get_by_role("link", name="Agents").count() == 0
    await adviser.context.close()


async def test_approving_the_proposed_arguments_unchanged_is_no_edit(owner: Any, stack: Stack) -> None:
    page = owner
    run_id, approval_id = await _paused_run(stack, "call_same", "Rien à modifier.")
    await page.goto(f"{stack.base}/admin/agents/runs/{run_id}")
    pending = page.locator("section.pending")
    await pending.get_by_text("Modifier les arguments (JSON)").click()  # opened, left as proposed
    await pending.get_by_role("button", name="Approuver list_leads").click()
    await page.wait_for_url(f"**/admin/agents/runs/{run_id}?done=approved")
    data = await stack.pool.fetchval("SELECT data FROM app_agent_events WHERE run_id = $1 AND "
                                     "event_type = 'approval_granted'", uuid.UUID(run_id))
    granted = data if isinstance(data, dict) else json.loads(data)
    assert granted["approval_id"] == approval_id and granted["edited_args"] is None
