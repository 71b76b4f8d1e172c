"""The super chat starts objectives through the real agents service (services/agents/app.py): the
`/objectif` command picks the agent from its first word or the text's words, a repeated request makes
one objective, an unknown agent is said plainly, and with a model the `create_objective` tool does the
same on request. The agents' own model is left unconfigured so each run stops at once
(`no_llm_configured`) and never competes with the super chat for the fake server's script."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from libs.common.db import create_pool
from libs.common.events.agents import AdminChat, AdminChatReply
from libs.common.llm import LLMSettings
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from services.agents import superchat
from tests.conftest import RUN_ID, DatabaseFactory, delete_broker_names, eventually, make_settings
from tests.fakes.llm_server import FakeLLMServer, Step


@pytest.fixture(scope="module")
async def agents(db_factory: DatabaseFactory, amqp_url: str,
                 data_dir: Path) -> AsyncIterator[tuple[RpcClient, asyncpg.Pool, FakeLLMServer]]:
    from services.agents.app import svc

    dsn = await db_factory.create_migrated("superchatobj")
    prefix = f"t{RUN_ID}sco{uuid.uuid4().hex[:4]}."
    settings: Settings = make_settings(dsn, amqp_url, data_dir, prefix)
    pool = await create_pool(settings, min_size=1, max_size=10)
    try:
        async with FakeLLMServer(default_text="C'est lancé.") as fake:
            given = {"llm_settings": LLMSettings(base_url=None),
                     superchat.LLM_SETTINGS_KEY: LLMSettings(base_url=fake.base_url, api_key="k", model="fake",
                                                             max_retries=0, timeout_s=5)}
            async with svc.running(settings, pool, given), RpcClient(settings, source="test") as rpc:
                yield rpc, pool, fake
    finally:
        await pool.close()
        await delete_broker_names(amqp_url, prefix)
        await db_factory.drop(dsn)


async def ask(rpc: RpcClient, message: str, request_id: uuid.UUID | None = None) -> AdminChatReply:
    return await rpc.request(AdminChat.TYPE, AdminChat(message=message, admin_user="claire@boutique.fr"),
                             AdminChatReply, timeout=30, request_id=request_id)


async def test_the_objective_command_starts_a_run_once(
        agents: tuple[RpcClient, asyncpg.Pool, FakeLLMServer]) -> None:
    rpc, pool, fake = agents
    calls = len(fake.requests)
    request_id = uuid.uuid4()
    reply = await ask(rpc, "/objectif relance les leads de la semaine qui n'ont pas acheté", request_id)
    assert reply.objective_id is not None and reply.run_id is not None, reply
    assert reply.reply.startswith("Objectif créé pour sales_agent : « relance les leads de la semaine")
    again = await ask(rpc, "/objectif relance les leads de la semaine qui n'ont pas acheté", request_id)
    assert again.objective_id == reply.objective_id and again.run_id == reply.run_id
    row = await pool.fetchrow("SELECT title, created_by FROM app_agent_objectives WHERE id = $1",
                              uuid.UUID(reply.objective_id))
    assert row is not None and row["created_by"] == "claire@boutique.fr"
    assert await pool.fetchval("SELECT count(*) FROM app_agent_objectives") == 1
    assert len(fake.requests) == calls  # a command, no model

    async def stopped() -> str | None:
        status = await pool.fetchval("SELECT status FROM app_agent_runs WHERE id = $1", uuid.UUID(reply.run_id or ""))
        return str(status) if status in ("failed", "completed") else None

    assert await eventually(stopped) == "failed"  # the agents' model is not configured here

    content = await ask(rpc, "/objectif prépare trois posts Instagram pour la collection d'automne")
    assert content.reply.startswith("Objectif créé pour content_agent")
    named = await ask(rpc, "/objectif securite résume les incidents du mois")
    assert named.reply.startswith("Objectif créé pour security_agent : « résume les incidents du mois »")
    assert (await ask(rpc, "/objectif")).objective_id is None
    failed = await ask(rpc, "/runs échoués")
    assert failed.data is not None and failed.data["count"] >= 1
    assert "(n°1, sales_agent) — échouée : no_llm_configured" in failed.reply


async def test_the_model_starts_an_objective_on_request(
        agents: tuple[RpcClient, asyncpg.Pool, FakeLLMServer]) -> None:
    rpc, pool, fake = agents
    before = await pool.fetchval("SELECT count(*) FROM app_agent_objectives")
    args = {"agent": "content_agent", "title": "Trois posts Instagram", "description": "Collection d'automne."}
    fake.script(Step(tool_calls=[{"id": "o1", "name": "create_objective", "arguments": json.dumps(args)},
                                 {"id": "o2", "name": "create_objective", "arguments": json.dumps(args)}]),
                Step(text="J'ai confié les trois posts à content_agent."))
    reply = await ask(rpc, "Demande à l'agent contenu de préparer trois posts Instagram")
    assert reply.reply == "J'ai confié les trois posts à content_agent."
    assert reply.objective_id is not None and reply.run_id is not None
    assert await pool.fetchval("SELECT count(*) FROM app_agent_objectives") == before + 1  # once per message
    made, refused = [json.loads(m["content"]) for m in fake.requests[-1]["messages"] if m["role"] == "tool"]
    assert made["objective"]["id"] == reply.objective_id
    assert refused["error"] == "an objective was already created for this message"

    fake.script(Step(tool_calls=[{"id": "o3", "name": "create_objective",
                                  "arguments": json.dumps({"agent": "inconnu_agent", "title": "x"})}]),
                Step(text="Cet agent n'existe pas."))
    unknown = await ask(rpc, "Lance inconnu_agent")
    assert unknown.objective_id is None and unknown.reply == "Cet agent n'existe pas."
    (error,) = [json.loads(m["content"]) for m in fake.requests[-1]["messages"] if m["role"] == "tool"]
    assert "agent must be one of" in error["error"]


async def test_an_objective_made_before_the_model_fails_is_still_the_answer(
        agents: tuple[RpcClient, asyncpg.Pool, FakeLLMServer]) -> None:
    rpc, pool, fake = agents
    args = {"agent": "sales_agent", "title": "Relancer Paul", "description": "Un e-mail de relance."}
    fake.script(Step(tool_calls=[{"id": "p1", "name": "create_objective", "arguments": json.dumps(args)}]),
                Step(status=500))
    reply = await ask(rpc, "Confie la relance de Paul à l'agent des ventes")
    assert reply.objective_id is not None
    assert reply.reply.startswith("Objectif créé pour sales_agent : « Relancer Paul ».")
    assert await pool.fetchval("SELECT title FROM app_agent_objectives WHERE id = $1",
                               uuid.UUID(reply.objective_id)) == "Relancer Paul"
