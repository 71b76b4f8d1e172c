"""The workflows service on the real broker: requests, refusals with reasons, event triggers that
fire once per event (even when it is published again), and the seeded handoff e-mail."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from libs.common.errors import RemoteError
from libs.common.events.chat import ChatHandoffRequested, LeadCaptured
from libs.common.events.workflows import (
    CreateWorkflow,
    GetWorkflow,
    GetWorkflowRun,
    ListWorkflowRuns,
    RunReply,
    RunWorkflow,
    SetWorkflowEnabled,
    UpdateWorkflow,
    WorkflowDefinition,
    WorkflowReply,
    WorkflowRunList,
)
from libs.common.outbox import add_event
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from services.workflows.app import svc
from tests.conftest import eventually, with_fresh_prefix
from tests.fakes.smtp_server import FakeSmtpServer
from tests.workflows.conftest import unique, wf_config

MAIL = {"type": "send_email", "config": {"to": "{{ event.email }}", "subject": "Nouveau contact",
                                         "body": "{{ event.name }} ({{ trigger.type }})"}}


class Service:
    def __init__(self, rpc: RpcClient, smtp: FakeSmtpServer, pool: asyncpg.Pool, settings: Settings) -> None:
        self.rpc, self.smtp, self.pool, self.settings = rpc, smtp, pool, settings

    async def create(self, **fields: Any) -> WorkflowReply:
        fields.setdefault("name", unique("svc"))
        body = CreateWorkflow(workflow=WorkflowDefinition.model_validate(fields))
        return await self.rpc.request("workflows.create", body, WorkflowReply, request_id=uuid.uuid4())

    async def refused(self, **fields: Any) -> RemoteError:
        with pytest.raises(RemoteError) as err:
            await self.create(**fields)
        return err.value

    async def runs(self, name: str) -> list[Any]:
        reply = await self.rpc.request("workflows.list_runs", ListWorkflowRuns(name=name), WorkflowRunList)
        return reply.runs


@pytest.fixture(scope="module")
async def service(wf_settings: Settings, wf_pool: asyncpg.Pool) -> AsyncIterator[Service]:
    settings = with_fresh_prefix(wf_settings)
    await wf_pool.execute("UPDATE app_company_facts SET value = 'owner@boutique.test' WHERE key = 'contact_email'")
    with FakeSmtpServer() as smtp:
        deps = {"workflows_settings": wf_config(), "mail_settings": smtp.settings(), "scheduler": False}
        async with svc.running(settings, wf_pool, deps=deps), RpcClient(settings, source="test") as rpc:
            yield Service(rpc, smtp, wf_pool, settings)


async def test_create_then_a_second_create_of_the_name_conflicts(service: Service) -> None:
    created = await service.create(name=unique("dup"), trigger_event="quote.expired", steps=[MAIL])
    assert created.workflow.enabled and created.workflow.steps[0].type == "send_email"
    error = await service.refused(name=created.workflow.name, steps=[MAIL])
    assert error.code == "name_conflict"


@pytest.mark.parametrize(("fields", "reason"), [
    ({"trigger_cron": "61 * * * *"}, "not a valid expression"),
    ({"trigger_cron": "0 9 * * 1 2026"}, "5 fields"),
    ({"trigger_event": "no.such.event"}, "not an event type"),
    ({"steps": [{"type": "teleport", "config": {}}]}, "unknown step type 'teleport'"),
    ({"steps": [{"type": "send_email", "config": {"to": "{{ event.email", "subject": "s", "body": "b"}}]},
     "does not compile"),
    ({"steps": [{"type": "send_whatsapp", "config": {"to": "336", "text": "x", "token_secret": "absent"}}]},
     "secret 'absent' is not set"),
    ({"steps": [{"type": "http_request", "config": {"url": "https://evil.example/hook"}}]},
     "not on WORKFLOWS_HTTP_ALLOWED_HOSTS"),
    ({"steps": [{"type": "condition", "config": {"all": [{"path": "event.x", "op": "eval", "value": 1}]}}]},
     "steps[0] (condition)"),
])
async def test_bad_definitions_are_refused_with_their_reason(service: Service, fields: dict[str, Any],
                                                             reason: str) -> None:
    error = await service.refused(**({"steps": [MAIL]} | fields))
    assert error.code == "invalid_workflow" and reason in str(error), str(error)


async def test_an_event_fires_each_matching_workflow_once_even_when_published_again(service: Service) -> None:
    name = unique("lead")
    await service.create(name=name, trigger_event="lead.captured", steps=[MAIL])
    email = f"{uuid.uuid4().hex[:6]}@exemple.fr"
    async with service.pool.acquire() as conn, conn.transaction():
        envelope = await add_event(conn, LeadCaptured(session_id="s-1", email=email, name="Ana", lead_id="L-1", score=3,
                                                 created=True),
                                   source="chat")
    runs = await eventually(lambda: _completed(service, name))
    assert runs[0].trigger_kind == "event" and runs[0].trigger_ref == str(envelope.id)
    await service.pool.execute("UPDATE app_outbox SET published_at = NULL WHERE id = $1", envelope.id)
    await eventually(lambda: _published(service.pool, envelope.id))
    await service.rpc.request("workflows.list_runs", ListWorkflowRuns(name=name), WorkflowRunList)
    assert len(await service.runs(name)) == 1
    assert [m["Subject"] for m in service.smtp.messages if m["To"] == email] == ["Nouveau contact"]


async def _completed(service: Service, name: str) -> list[Any] | None:
    runs = await service.runs(name)
    return runs if runs and runs[0].status == "completed" else None


async def _published(pool: asyncpg.Pool, event_id: object) -> bool:
    return bool(await pool.fetchval("SELECT published_at IS NOT NULL FROM app_outbox WHERE id = $1", event_id))


async def test_a_manual_run_shows_its_steps(service: Service) -> None:
    name = unique("manual")
    await service.create(name=name, enabled=False, steps=[MAIL])
    started = await service.rpc.request("workflows.run", RunWorkflow(name=name, event={"email": "m@b.fr", "name": "M"}),
                                        RunReply, request_id=uuid.uuid4())
    await eventually(lambda: _completed(service, name))
    detail = await service.rpc.request("workflows.get_run", GetWorkflowRun(run_id=started.run.id), RunReply)
    (step,) = detail.run.steps
    assert step.status == "succeeded" and step.provider_id and step.input["config"]["to"] == "m@b.fr"
    with pytest.raises(RemoteError) as err:
        await service.rpc.request("workflows.run", RunWorkflow(name="nope-nope"), RunReply, request_id=uuid.uuid4())
    assert err.value.code == "not_found"


async def test_the_seeded_handoff_workflow_mails_the_owner_the_conversation_link(service: Service) -> None:
    handoff = await service.rpc.request("workflows.get", GetWorkflow(name="handoff-owner-email"), WorkflowReply)
    thanks = await service.rpc.request("workflows.get", GetWorkflow(name="payment-thank-you"), WorkflowReply)
    assert handoff.workflow.enabled and not thanks.workflow.enabled  # SMTP is configured here
    session = f"sess-{uuid.uuid4().hex[:8]}"
    async with service.pool.acquire() as conn, conn.transaction():
        await add_event(conn, ChatHandoffRequested(session_id=session, reason="visitor_asked",
                                                   message="Je veux parler à quelqu'un"), source="chat")

    async def mail() -> Any:
        return next((m for m in service.smtp.messages if session in m.get_content()), None)
    message = await eventually(mail)
    assert message["To"] == "owner@boutique.test"
    assert message["Subject"] == "Un visiteur demande un conseiller"
    assert f"/admin/conversations/{session}" in message.get_content()
    off = await service.rpc.request("workflows.set_enabled", SetWorkflowEnabled(name="handoff-owner-email",
                                                                               enabled=False), WorkflowReply)
    assert not off.workflow.enabled


async def test_the_seeded_thank_you_mail_carries_the_invoice_link_billing_kept(service: Service) -> None:
    from libs.common.events.billing import GetQuote, QuoteReply
    from libs.common.service import HandlerContext, ServiceApp

    quote_id, email = str(uuid.uuid4()), f"client-{uuid.uuid4().hex[:6]}@exemple.fr"
    billing = ServiceApp("billing", run_relay=False)

    @billing.on_request("billing.get_quote", read_only=True)
    async def get(req: GetQuote, ctx: HandlerContext) -> QuoteReply:
        assert req.quote_id == quote_id
        return QuoteReply.model_validate({"quote": {
            "id": quote_id, "type": "custom", "status": "paid", "session_id": None, "email": email,
            "currency": "EUR",
            "lines": [{"label": "Lampe", "unit_price": "89.00", "quantity": 1, "line_total": "89.00"}],
            "totals": {"net": "74.17", "vat": "14.83", "gross": "89.00", "vat_rate": "0.20",
                       "prices_include_vat": True},
            "created_at": "2026-12-01T10:00:00+00:00", "expires_at": "2026-12-31T10:00:00+00:00",
            "invoice_url": "https://pay.stripe.com/receipts/payment/ch_test_1"}})

    event = {"quote_id": quote_id, "provider": "stripe", "provider_reference": "cs_1", "amount": "89.00",
             "currency": "EUR", "email": email, "session_id": None, "paid_at": "2026-12-02T10:00:00+00:00"}
    async with billing.running(service.settings, service.pool):
        await service.rpc.request("workflows.run", RunWorkflow(name="payment-thank-you", event=event), RunReply,
                                  request_id=uuid.uuid4())

        async def mail() -> Any:
            return next((m for m in service.smtp.messages if m["To"] == email), None)
        message = await eventually(mail)
    body = message.get_content()
    assert message["Subject"] == "Merci pour votre commande" and "89,00" in body
    assert "Votre facture : https://pay.stripe.com/receipts/payment/ch_test_1" in body


async def test_update_replaces_a_definition_and_a_rename_onto_a_taken_name_conflicts(service: Service) -> None:
    first, second = unique("upd"), unique("upd")
    await service.create(name=first, steps=[MAIL])
    await service.create(name=second, steps=[MAIL])
    log_step = {"type": "log", "config": {"message": "x"}}
    body = UpdateWorkflow(name=first, workflow=WorkflowDefinition.model_validate(
        {"name": first, "trigger_cron": "0 9 * * 1", "steps": [log_step]}))
    updated = await service.rpc.request("workflows.update", body, WorkflowReply, request_id=uuid.uuid4())
    assert updated.workflow.steps[0].type == "log" and updated.workflow.next_run_at
    clash = UpdateWorkflow(name=first,
                           workflow=WorkflowDefinition.model_validate({"name": second, "steps": [log_step]}))
    with pytest.raises(RemoteError) as err:
        await service.rpc.request("workflows.update", clash, WorkflowReply, request_id=uuid.uuid4())
    assert err.value.code == "name_conflict"
    bad = UpdateWorkflow(name=first, workflow=WorkflowDefinition.model_validate(
        {"name": first, "steps": [{"type": "teleport"}]}))
    with pytest.raises(RemoteError) as err:
        await service.rpc.request("workflows.update", bad, WorkflowReply, request_id=uuid.uuid4())
    assert err.value.code == "invalid_workflow"
