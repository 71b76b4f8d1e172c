"""Tools that write go through the owning service with the tool call id as the request id: a quote from
the agent names catalogue products only (billing prices them); the owner, approving, may add a line
with a price of their own; the quote is made once."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from libs.common.events.agents import ApprovalReply, DecideApproval
from libs.common.service import ServiceApp
from services.billing import catalogue
from services.billing.app import svc as billing_svc
from services.billing.config import BillingSettings
from services.chat import lead_updates
from tests.agents.conftest import Agents, add_lead, call, text


@pytest.fixture
async def product(agents: Agents, pool: asyncpg.Pool) -> AsyncIterator[str]:
    """A catalogue product, imported by the running billing service (on the agents' broker names)."""
    sku = f"BOUGIE-{uuid.uuid4().hex[:6].upper()}"
    cfg = BillingSettings(_env_file=None, payment_provider="none", catalogue_sync_interval_s=3600)
    async with billing_svc.running(agents.settings, pool, deps={"billing_settings": cfg}) as ctx:
        report = await catalogue.import_file(f"sku,name,price,currency,vat_rate\n{sku},Bougie Ambre,24.90,EUR,20\n"
                                             .encode(), ctx.deps["billing"], strict=True)
        assert report.written
        yield f"file:{sku}"


async def test_a_quote_is_priced_by_the_catalogue_and_edited_prices_come_from_the_owner(
        agents: Agents, product: str) -> None:
    email = f"client-{uuid.uuid4().hex[:6]}@client.test"
    priced_by_model = {"tool_calls": [{"name": "create_quote", "arguments": {
        "email": email, "lines": [{"product_id": product, "quantity": 2, "unit_price": "0.01"}]}}]}
    made = await agents.objective(priced_by_model, call("create_quote", email=email,
                                                        lines=[{"product_id": product, "quantity": 2}]),
                                  text("Devis prêt."), tools=["create_quote"], risk="medium")
    assert made.run is not None
    paused = await agents.wait_status(made.run.id, "paused")
    assert paused.tool_calls[0].status == "failed" and "unit_price" in (paused.tool_calls[0].error or "")
    edited = {"email": email, "lines": [{"product_id": product, "quantity": 2},
                                        {"label": "Emballage cadeau", "unit_price": "3.50", "quantity": 1}]}
    await agents.rpc.request(DecideApproval.TYPE, DecideApproval(approval_id=paused.approvals[0].id,
                                                                 decision="approve", args=edited), ApprovalReply)
    detail = await agents.wait_status(made.run.id)
    assert detail.run.status == "completed"
    rows = await agents.pool.fetch("SELECT id FROM app_quotes WHERE email = $1", email)
    assert len(rows) == 1
    result = json.loads([m for m in agents.llm_calls(detail.run.title)[-1]["messages"] if m["role"] == "tool"][1]
                        ["content"])
    assert result["total"] == "53.30" and result["quote_id"] == str(rows[0]["id"])  # 2 × 24.90 + 3.50


@pytest.fixture
async def chat_leads(agents: Agents, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """chat's `chat.update_lead` handler (services/chat/lead_updates.py), served alone: the rest of the
    chat service (the turn, its guard) is not needed here."""
    app = ServiceApp("chat", run_relay=False)
    app.on_request("chat.update_lead", writes=True)(lead_updates.update_lead)
    async with app.running(agents.settings, pool):
        yield


async def test_update_lead_goes_through_chat_once_per_tool_call(agents: Agents, chat_leads: None) -> None:
    lead_id = await add_lead(agents.pool, f"lead-{uuid.uuid4().hex[:6]}@client.test", score=20)
    made = await agents.objective(call("update_lead", lead_id=lead_id, score=75, note="Rappeler jeudi."),
                                  call("update_lead", lead_id=str(uuid.uuid4()), score=10), text("Noté."),
                                  tools=["update_lead"], risk="high")
    assert made.run is not None
    detail = await agents.wait_status(made.run.id)
    assert [c.status for c in detail.tool_calls] == ["succeeded", "failed"]
    assert "not_found" in (detail.tool_calls[1].error or "")
    row = await agents.pool.fetchrow("SELECT score, metadata FROM app_leads WHERE id = $1", uuid.UUID(lead_id))
    assert row is not None and row["score"] == 75
    assert [n["text"] for n in row["metadata"]["notes"]] == ["Rappeler jeudi."]
    assert row["metadata"]["notes"][0]["author"] == "agent:sales_agent"
    stored = await agents.pool.fetchval("SELECT count(*) FROM app_request_log WHERE request_id = $1",
                                        uuid.UUID(detail.tool_calls[0].id))
    assert stored == 1  # chat claimed the tool call's id: a repeat gets this reply


@pytest.fixture
async def workflows_social(agents: Agents, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """The workflows service (the social queue's owner), on the agents' broker names; nothing publishes."""
    from services.workflows.app import svc as workflows_svc

    deps = {"social_publisher_off": True, "executor": False, "scheduler": False, "seed": False}
    async with workflows_svc.running(agents.settings, pool, deps=deps):
        yield


async def test_a_social_post_is_queued_by_the_workflows_service_once(agents: Agents, workflows_social: None) -> None:
    content = f"Nouvelle collection d'automne {uuid.uuid4().hex[:6]} : des lampes en lin lavé."
    made = await agents.objective(call("enqueue_social_post", platforms=["instagram", "facebook"], content=content,
                                       media_url="https://cdn.example.com/automne.jpg", media_type="image"),
                                  text("Post en attente de validation."), agent="content_agent",
                                  tools=["enqueue_social_post"], risk="high")
    assert made.run is not None
    detail = await agents.wait_status(made.run.id)
    assert detail.run.status == "completed" and [c.status for c in detail.tool_calls] == ["succeeded"]
    rows = await agents.pool.fetch("SELECT id, status, source_kind, source_id, platforms "
                                   "FROM app_social_publication_queue WHERE content = $1", content)
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "pending"  # socialApprovalRequired (the seed's default): the owner approves first
    assert row["source_kind"] == "agent" and row["source_id"] == made.run.id
    answer = next(m for m in agents.llm_calls(detail.run.title)[-1]["messages"] if m["role"] == "tool")
    result = json.loads(answer["content"])
    assert result["post_id"] == str(row["id"]) and result["status"] == "pending"


@pytest.fixture
async def chat_conversations(agents: Agents, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """chat's read-only `chat.get_conversation` (services/chat/conversations.py), served alone."""
    from services.chat import conversations

    app = ServiceApp("chat", run_relay=False)
    app.on_request("chat.get_conversation", read_only=True)(conversations.get_conversation)
    async with app.running(agents.settings, pool):
        yield


async def test_get_conversation_reads_the_transcript_from_chat(agents: Agents, chat_conversations: None) -> None:
    sid = f"agent_conv_{uuid.uuid4().hex[:10]}"
    await agents.pool.execute("INSERT INTO app_chat_sessions (session_id, messages, message_count) VALUES ($1, $2, 2)",
                              sid, [{"role": "user", "content": "Livrez-vous en Belgique ?"},
                                    {"role": "assistant", "content": "Oui, en 3 à 5 jours ouvrés."}])
    made = await agents.objective(call("get_conversation", session_id=sid), text("Lu."),
                                  tools=["get_conversation"])
    assert made.run is not None
    detail = await agents.wait_status(made.run.id)
    assert detail.run.status == "completed" and detail.tool_calls[0].status == "succeeded"
    result = json.dumps(detail.tool_calls[0].result, ensure_ascii=False)
    assert "Livrez-vous en Belgique ?" in result and "3 à 5 jours ouvrés" in result
