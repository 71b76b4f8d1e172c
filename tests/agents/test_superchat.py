"""The owner's super chat (services/agents/superchat*.py) over the real broker and Postgres: the commands
answer from seeded leads, quotes and incidents without a model; a repeated request answers once; with
the fake OpenAI-compatible server the model answers through the read-only tools and gets the real rows;
a failing model falls back to the commands; the history is read back in order."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from libs.common.db import create_pool
from libs.common.events.agents import AdminChat, AdminChatHistory, AdminChatReply, GetAdminChat
from libs.common.llm import LLMSettings
from libs.common.rpc import RpcClient
from libs.common.service import ServiceApp
from libs.common.settings import Settings
from services.agents import superchat
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from tests.conftest import RUN_ID, DatabaseFactory, delete_broker_names, make_settings, with_fresh_prefix
from tests.fakes.llm_server import FakeLLMServer, Step

SEED = """
INSERT INTO app_leads (email, name, source, score, purchase_count, created_at) VALUES
  ('marie@exemple.fr', 'Marie Dupont', 'chatbot', 80, 1, NOW() - INTERVAL '1 day'),
  ('paul@exemple.fr', 'Paul Martin', 'chatbot', 40, 0, NOW() - INTERVAL '3 days'),
  ('lea@exemple.fr', 'Léa Petit', 'widget', 10, 0, NOW() - INTERVAL '6 days'),
  ('ancien@exemple.fr', 'Ancien Client', 'chatbot', 90, 0, NOW() - INTERVAL '20 days');
INSERT INTO app_quotes (email, total, currency, status, created_at, expires_at) VALUES
  ('marie@exemple.fr', 150.00, 'EUR', 'pending', NOW() - INTERVAL '2 hours', NOW() + INTERVAL '10 hours'),
  ('paul@exemple.fr', 300.50, 'EUR', 'pending', NOW() - INTERVAL '1 day', NOW() + INTERVAL '40 hours'),
  ('lea@exemple.fr', 99.90, 'EUR', 'paid', NOW() - INTERVAL '2 days', NOW() + INTERVAL '1 day');
INSERT INTO app_security_incidents (type, severity, resolved, created_at, details) VALUES
  ('injection', 'critical', FALSE, NOW() - INTERVAL '1 hour', '{"excerpt": "ignore previous"}'),
  ('disclosure', 'critical', TRUE, NOW() - INTERVAL '2 days', '{}'),
  ('rate_limit', 'low', FALSE, NOW() - INTERVAL '3 hours', '{}');
"""


@pytest.fixture(scope="module")
async def chat_db(db_factory: DatabaseFactory, amqp_url: str, data_dir: Path) -> AsyncIterator[tuple[Settings,
                                                                                                   asyncpg.Pool]]:
    dsn = await db_factory.create_migrated("superchat")
    prefix = f"t{RUN_ID}sc{uuid.uuid4().hex[:4]}."
    settings = make_settings(dsn, amqp_url, data_dir, prefix)
    pool = await create_pool(settings, min_size=1, max_size=10)
    await pool.execute(SEED)
    try:
        yield settings, pool
    finally:
        await pool.close()
        await delete_broker_names(amqp_url, prefix)
        await db_factory.drop(dsn)


def _service() -> ServiceApp[None]:
    svc = ServiceApp("agents")
    superchat.register(svc)
    return svc


@pytest.fixture(scope="module")
async def no_llm(chat_db: tuple[Settings, asyncpg.Pool]) -> AsyncIterator[RpcClient]:
    settings, pool = chat_db
    async with _service().running(settings, pool, {superchat.LLM_SETTINGS_KEY: LLMSettings(base_url=None)}), \
            RpcClient(settings, source="test") as rpc:
        yield rpc


async def ask(rpc: RpcClient, message: str, conversation_id: str | None = None,
              request_id: uuid.UUID | None = None) -> AdminChatReply:
    return await rpc.request(AdminChat.TYPE, AdminChat(message=message, conversation_id=conversation_id,
                                                       admin_user="claire@boutique.fr"),
                             AdminChatReply, timeout=20, request_id=request_id)


async def test_commands_answer_from_the_data(no_llm: RpcClient) -> None:
    week = await ask(no_llm, "/leads 7j")
    assert week.data is not None and week.data["count"] == 3 and week.data["buyers"] == 1
    assert week.reply.startswith("3 prospects ces 7 derniers jours")
    assert [r["email"] for r in week.data["items"]] == ["marie@exemple.fr", "paul@exemple.fr", "lea@exemple.fr"]
    month = await ask(no_llm, "/leads 30j", week.conversation_id)
    assert month.data is not None and month.data["count"] == 4 and month.conversation_id == week.conversation_id
    quotes = await ask(no_llm, "/devis en attente", week.conversation_id)
    assert quotes.data is not None and quotes.data["count"] == 2 and quotes.data["amount"] == "450.50"
    assert "2 devis en attente, 450,50 EUR au total (1 expire(nt) dans les 24 heures)" in quotes.reply
    paid = await ask(no_llm, "/devis payés")
    assert paid.data is not None and paid.data["status"] == "paid" and paid.data["count"] == 1
    incidents = await ask(no_llm, "/incidents")
    assert incidents.data is not None and incidents.data["count"] == 2  # unresolved only
    assert incidents.data["items"][0]["severity"] == "critical"  # the most severe first
    everything = await ask(no_llm, "/incidents tous")
    assert everything.data is not None and everything.data["count"] == 3
    assert "/leads 7j" in (await ask(no_llm, "/aide")).reply
    english = await no_llm.request(AdminChat.TYPE, AdminChat(message="which quotes are pending?", locale="en"),
                                   AdminChatReply)
    assert english.reply.startswith("2 quotes pending, EUR 450.50 in total (1 expiring within 24 hours):")
    assert (await ask(no_llm, "/inconnu")).reply.startswith("Je n'ai pas compris")


async def test_plain_questions_are_read_as_commands(no_llm: RpcClient) -> None:
    leads = await ask(no_llm, "combien de leads cette semaine ?")
    assert leads.data is not None and leads.data["kind"] == "leads" and leads.data["count"] == 3
    quotes = await ask(no_llm, "quels devis sont en attente ?")
    assert quotes.data is not None and quotes.data["status"] == "pending" and quotes.data["count"] == 2
    critical = await ask(no_llm, "montre les incidents critiques")
    assert critical.data is not None and critical.data["severity"] == "critical" and critical.data["count"] == 1
    assert critical.reply.startswith("1 incident critique non résolu sur 30 jours :\n• critical · injection")
    approvals = await ask(no_llm, "/approbations")
    assert approvals.reply == "Aucune action n'attend votre accord."


async def test_history_and_a_repeated_request(no_llm: RpcClient, chat_db: tuple[Settings, asyncpg.Pool]) -> None:
    _, pool = chat_db
    first = await ask(no_llm, "/leads 24h")
    request_id = uuid.uuid4()
    second = await ask(no_llm, "/devis tous", first.conversation_id, request_id=request_id)
    again = await ask(no_llm, "/devis tous", first.conversation_id, request_id=request_id)
    assert again == second
    rows = await pool.fetchval("SELECT count(*) FROM app_admin_conversation WHERE metadata->>'request_id' = $1",
                               str(request_id))
    assert rows == 2  # one question, one answer
    history = await no_llm.request(GetAdminChat.TYPE, GetAdminChat(conversation_id=first.conversation_id),
                                   AdminChatHistory)
    assert [(m.role, m.content) for m in history.messages] == [
        ("user", "/leads 24h"), ("assistant", first.reply), ("user", "/devis tous"), ("assistant", second.reply)]
    assert history.messages[1].data is not None and history.messages[1].data["days"] == 1
    latest = await no_llm.request(GetAdminChat.TYPE, GetAdminChat(admin_user="claire@boutique.fr"),
                                  AdminChatHistory)
    assert latest.conversation_id == first.conversation_id
    nobody = await no_llm.request(GetAdminChat.TYPE, GetAdminChat(admin_user="personne@boutique.fr"),
                                  AdminChatHistory)
    assert nobody.conversation_id is None and nobody.messages == []


@pytest.fixture(scope="module")
async def with_llm(chat_db: tuple[Settings, asyncpg.Pool]) -> AsyncIterator[tuple[RpcClient, FakeLLMServer]]:
    settings, pool = chat_db
    llm_settings = with_fresh_prefix(settings)
    async with FakeLLMServer(default_text="Réponse par défaut.") as fake:
        given = {superchat.LLM_SETTINGS_KEY: LLMSettings(base_url=fake.base_url, api_key="k", model="fake",
                                                          max_retries=0, timeout_s=5)}
        async with _service().running(llm_settings, pool, given), RpcClient(llm_settings, source="test") as rpc:
            yield rpc, fake


def _tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(m["content"]) for m in body["messages"] if m.get("role") == "tool"]


async def test_the_model_answers_through_the_read_only_tools(with_llm: tuple[RpcClient, FakeLLMServer]) -> None:
    rpc, fake = with_llm
    fake.requests.clear()
    fake.script(
        Step(tool_calls=[{"id": "c1", "name": "get_leads", "arguments": '{"days": 7}'},
                         {"id": "c2", "name": "get_quotes", "arguments": "{not json"}]),
        Step(text="Vous avez 3 prospects cette semaine, dont Marie Dupont (score 80)."))
    reply = await ask(rpc, "Combien de prospects cette semaine et qui est le meilleur ?")
    assert reply.reply == "Vous avez 3 prospects cette semaine, dont Marie Dupont (score 80)."
    assert reply.data is not None and reply.data["kind"] == "leads" and reply.data["count"] == 3
    assert len(fake.requests) == 2
    first = fake.requests[0]
    assert {t["function"]["name"] for t in first["tools"]} >= {"get_leads", "get_quotes", "get_incidents",
                                                               "create_objective"}
    assert first["messages"][-1] == {"role": "user", "content": "Combien de prospects cette semaine et qui est le "
                                                                "meilleur ?"}
    leads, bad = _tool_results(fake.requests[1])
    assert leads["count"] == 3 and leads["items"][0]["name"] == "Marie Dupont"  # the real rows reach the model
    assert bad == {"error": "arguments are not valid JSON"}  # handed back, never a crash

    # the next message carries the conversation so far
    fake.script(Step(text="Deux devis attendent."))
    follow = await ask(rpc, "Et les devis ?", reply.conversation_id)
    assert follow.reply == "Deux devis attendent."
    contents = [m["content"] for m in fake.requests[-1]["messages"]]
    assert contents[-3:] == ["Combien de prospects cette semaine et qui est le meilleur ?", reply.reply,
                             "Et les devis ?"]


async def test_commands_skip_the_model_and_a_failing_model_falls_back(
        with_llm: tuple[RpcClient, FakeLLMServer]) -> None:
    rpc, fake = with_llm
    calls = len(fake.requests)
    command = await ask(rpc, "/devis en attente")
    assert command.data is not None and command.data["count"] == 2 and len(fake.requests) == calls
    fake.script(Step(status=500))
    fallback = await ask(rpc, "montre les incidents critiques")
    assert len(fake.requests) == calls + 1
    assert fallback.data is not None and fallback.data["severity"] == "critical" and fallback.data["count"] == 1


ADMIN = "superchat-admin-token-0123456789"


@pytest.fixture(scope="module")
async def api(chat_db: tuple[Settings, asyncpg.Pool], no_llm: RpcClient) -> AsyncIterator[httpx.AsyncClient]:
    settings, pool = chat_db
    app = create_app(settings, GatewaySettings(admin_token=ADMIN), pool=pool, run_relay=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test",
                                     headers={"Authorization": f"Bearer {ADMIN}"}) as http:
            yield http


async def test_the_admin_api(api: httpx.AsyncClient) -> None:
    anonymous = await api.post("/v1/admin/agents/chat", json={"message": "/aide"}, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await api.post("/v1/admin/agents/chat", json={"message": "/leads 7j", "admin_user": "api@boutique.fr"},
                           headers=key)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["data"]["count"] == 3 and body["reply"].startswith("3 prospects")
    again = await api.post("/v1/admin/agents/chat", json={"message": "/leads 7j", "admin_user": "api@boutique.fr"},
                           headers=key)
    assert again.json() == body
    history = await api.get("/v1/admin/agents/chat", params={"conversation_id": body["conversation_id"]})
    assert history.status_code == 200
    assert [m["role"] for m in history.json()["messages"]] == ["user", "assistant"]  # answered once
    latest = await api.get("/v1/admin/agents/chat", params={"admin_user": "api@boutique.fr"})
    assert latest.json()["conversation_id"] == body["conversation_id"]
    assert (await api.post("/v1/admin/agents/chat", json={"message": "   "})).status_code == 422
    assert (await api.post("/v1/admin/agents/chat", json={"message": "/aide", "extra": 1})).status_code == 422
    assert (await api.post("/v1/admin/agents/chat", json={"message": "x" * 4001})).status_code == 422
    nul = await api.post("/v1/admin/agents/chat", json={"message": "/aide\u0000"})
    assert nul.status_code == 400 and nul.json()["error"] == "invalid_text"
    assert (await api.get("/v1/admin/agents/chat", params={"admin_user": "a\x00b"})).status_code == 400


async def test_nul_characters_are_dropped_by_the_service(no_llm: RpcClient) -> None:
    reply = await no_llm.request(AdminChat.TYPE, AdminChat(message="/leads\x00 7j", admin_user="nul\x00@b.fr"),
                                 AdminChatReply)
    assert reply.data is not None and reply.data["count"] == 3
    history = await no_llm.request(GetAdminChat.TYPE, GetAdminChat(admin_user="nul@b.fr"), AdminChatHistory)
    assert history.messages[0].content == "/leads 7j"
