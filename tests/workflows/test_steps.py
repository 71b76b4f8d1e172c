"""Step types against servers that speak the providers' protocols, and billing over the broker."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from libs.common.errors import RemoteError
from libs.common.events.agents import CreateObjective, ObjectiveReply
from libs.common.events.billing import CreateQuote, GetQuote, QuoteReply
from libs.common.llm import LLMSettings
from libs.common.rpc import RpcClient
from libs.common.service import HandlerContext, ServiceApp
from libs.common.settings import Settings
from libs.storage.postgres import PostgresStorage
from tests.conftest import with_fresh_prefix
from tests.fakes._server import LocalServer
from tests.fakes.drive_server import FakeDriveServer
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.whatsapp_server import FakeWhatsAppServer
from tests.workflows.conftest import SECRETS, WfFactory, add_workflow, attempts, executor, run_row, settle, start_run


async def _finish(ex: Any, pool: asyncpg.Pool, run_id: str) -> asyncpg.Record:
    for _ in range(60):
        await settle(ex)
        row = await run_row(pool, run_id)
        if row["status"] in ("completed", "failed"):
            return row
        await asyncio.sleep(0.02)
    return await run_row(pool, run_id)


@pytest.fixture
async def whatsapp() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as fake:
        yield fake


def _wa(make_wf: WfFactory, fake: FakeWhatsAppServer) -> Any:
    return make_wf(whatsapp_base_url=fake.base_url, whatsapp_phone_number_id=fake.phone_number_id)


async def test_whatsapp_text_and_template_messages(make_wf: WfFactory, wf_pool: asyncpg.Pool,
                                                   wf_settings: Settings, whatsapp: FakeWhatsAppServer) -> None:
    wf = _wa(make_wf, whatsapp)
    steps = [{"type": "send_whatsapp", "config": {"to": "+33 6 12 34 56 78", "text": "Bonjour {{ event.name }}"}},
             {"type": "send_whatsapp", "config": {"to": "33612345678", "template": {
                 "name": "relance_devis", "language": "fr", "parameters": ["{{ event.name }}", "Q-1"]}}}]
    workflow = await add_workflow(wf_pool, wf, steps=steps)
    run_id = await start_run(wf_pool, wf, workflow, {"name": "Ana"})
    async with executor(wf, wf_settings) as ex:
        run = await _finish(ex, wf_pool, run_id)
    assert run["status"] == "completed", run["error"]
    text, template = whatsapp.messages
    assert text["to"] == "33612345678" and text["text"]["body"] == "Bonjour Ana"
    assert template["template"]["components"][0]["parameters"][0] == {"type": "text", "text": "Ana"}
    assert [a["provider_id"] for a in await attempts(wf_pool, run_id)] == [text["id"], template["id"]]


async def test_whatsapp_rate_limit_is_retried_and_an_expired_token_fails_clearly(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, whatsapp: FakeWhatsAppServer) -> None:
    wf = _wa(make_wf, whatsapp)
    step = {"type": "send_whatsapp", "retry": {"max": 2, "base_delay_ms": 5},
            "config": {"to": "33612345678", "text": "Bonjour"}}
    workflow = await add_workflow(wf_pool, wf, steps=[step])
    whatsapp.fail_next(429, 130429)
    run_id = await start_run(wf_pool, wf, workflow)
    async with executor(wf, wf_settings) as ex:
        assert (await _finish(ex, wf_pool, run_id))["status"] == "completed"
        whatsapp.token = "rotated"
        failed = await _finish(ex, wf_pool, await start_run(wf_pool, wf, workflow))
    assert [a["status"] for a in await attempts(wf_pool, run_id)] == ["failed", "succeeded"]
    assert failed["status"] == "failed" and "expired" in failed["error"] and "1 attempt" in failed["error"]
    assert len(whatsapp.messages) == 1


class Receiver(LocalServer):
    """A webhook receiver that checks the signature and keeps what it got."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail = 0

    def app(self) -> Starlette:
        async def hook(request: Request) -> JSONResponse:
            self.received.append((dict(request.headers), await request.body()))
            if self.fail:
                self.fail -= 1
                return JSONResponse({"error": "busy"}, status_code=503)
            return JSONResponse({"ok": True})
        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


async def test_http_request_is_signed_and_retried_under_one_webhook_id(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    wf = make_wf()
    async with Receiver() as receiver:
        receiver.fail = 1
        step = {"type": "http_request", "retry": {"max": 2, "base_delay_ms": 5},
                "config": {"url": f"{receiver.base_url}/hook", "body": {"order": "{{ event.order }}"}}}
        workflow = await add_workflow(wf_pool, wf, steps=[step])
        run_id = await start_run(wf_pool, wf, workflow, {"order": "A-7"})
        async with executor(wf, wf_settings) as ex:
            run = await _finish(ex, wf_pool, run_id)
    assert run["status"] == "completed", run["error"]
    (h1, _), (h2, body) = receiver.received
    assert h1["webhook-id"] == h2["webhook-id"] == f"{run_id}:0"
    assert json.loads(body) == {"order": "A-7"}
    stamp, mac = (part.split("=", 1)[1] for part in h2["comptoir-signature"].split(","))
    expected = hmac.new(SECRETS["webhook_secret"].encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)


async def test_generate_text_uses_the_llm_or_the_template_or_says_why_not(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    step = {"type": "generate_text", "id": "draft", "retry": {"max": 0},
            "config": {"prompt": "Un post sur {{ event.topic }}"}}
    with_template = {"type": "generate_text", "config": {"prompt": "x", "template": "Nouveautés : {{ event.topic }}"}}
    async with FakeLLMServer(default_text="Découvrez nos bougies !") as llm:
        wf = make_wf(llm=LLMSettings(_env_file=None, base_url=llm.base_url, api_key="k"))
        workflow = await add_workflow(wf_pool, wf, steps=[step])
        run_id = await start_run(wf_pool, wf, workflow, {"topic": "les bougies"})
        async with executor(wf, wf_settings) as ex:
            run = await _finish(ex, wf_pool, run_id)
        assert run["outputs"]["draft"]["text"] == "Découvrez nos bougies !"
        assert llm.requests[0]["messages"][-1]["content"] == "Un post sur les bougies"
        await wf.close()  # before the server stops: it would wait for the kept-alive connection
    bare = make_wf()
    without = await add_workflow(wf_pool, bare, steps=[step])
    fallback = await add_workflow(wf_pool, bare, steps=[with_template])
    runs = [await start_run(wf_pool, bare, w, {"topic": "l'été"}) for w in (without, fallback)]
    async with executor(bare, wf_settings) as ex:
        failed, templated = [await _finish(ex, wf_pool, r) for r in runs]
    assert failed["status"] == "failed" and "no LLM is configured" in failed["error"]
    assert templated["outputs"]["0"] == {"text": "Nouveautés : l'été", "source": "template",
                                         "reason": "no LLM configured (LLM_BASE_URL)"}


def _fake_billing(calls: list[tuple[str, Any]]) -> ServiceApp[None]:
    """A billing stand-in on the real broker: answers as billing does, counts by request id."""
    billing: ServiceApp[None] = ServiceApp("billing", run_relay=False)
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    def quote(quote_id: str, status: str, email: str | None) -> dict[str, Any]:
        return {"id": quote_id, "type": "custom", "status": status, "session_id": None, "email": email,
                "currency": "EUR", "lines": [{"label": "Bougie", "unit_price": "12.50", "quantity": 2,
                                              "line_total": "25.00"}],
                "totals": {"net": "20.83", "vat": "4.17", "gross": "25.00", "vat_rate": "0.20",
                           "prices_include_vat": True},
                "created_at": now.isoformat(), "expires_at": now.isoformat()}

    @billing.on_request("billing.create_quote", writes=True)
    async def create(req: CreateQuote, ctx: HandlerContext) -> QuoteReply:
        calls.append(("create", ctx.request_id))
        assert req.lines[0].unit_price == Decimal("12.50")
        return QuoteReply.model_validate({"quote": quote("Q-1", "pending", req.email)})

    @billing.on_request("billing.get_quote", read_only=True)
    async def get(req: GetQuote, ctx: HandlerContext) -> QuoteReply:
        calls.append(("get", req.quote_id))
        if req.quote_id != "Q-1":
            raise RemoteError("not_found", f"no quote {req.quote_id}")
        return QuoteReply.model_validate({"quote": quote("Q-1", "paid", None)})
    return billing


async def test_create_and_get_quote_ask_billing_over_the_broker(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    settings = with_fresh_prefix(wf_settings)
    calls: list[tuple[str, Any]] = []
    steps = [{"type": "create_quote", "id": "quote", "config": {
                 "email": "{{ event.email }}", "lines": [{"label": "Bougie", "unit_price": "12.50", "quantity": 2}]}},
             {"type": "get_quote", "id": "now", "config": {"quote_id": "{{ steps.quote.quote.id }}"}},
             {"type": "condition", "config": {"all": [{"path": "steps.now.quote.status", "op": "eq",
                                                       "value": "pending"}]}},
             {"type": "log", "config": {"message": "never: the quote is paid"}}]
    async with _fake_billing(calls).running(settings, wf_pool), RpcClient(settings, source="workflows") as rpc:
        wf = make_wf(rpc=rpc)
        workflow = await add_workflow(wf_pool, wf, steps=steps)
        run_id = await start_run(wf_pool, wf, workflow, {"email": "ana@exemple.fr"})
        async with executor(wf, wf_settings) as ex:
            run = await _finish(ex, wf_pool, run_id)
    assert run["status"] == "completed", run["error"]
    assert run["outputs"]["quote"]["quote"]["email"] == "ana@exemple.fr"
    assert [a["step_type"] for a in await attempts(wf_pool, run_id)] == ["create_quote", "get_quote", "condition"]
    assert calls[0][0] == "create" and calls[1] == ("get", "Q-1")


def _fake_agents(calls: list[tuple[str | None, CreateObjective]], fail_first: list[bool]) -> ServiceApp[None]:
    """An agents stand-in on the real broker: the first call fails after acting (as a lost reply would)."""
    agents: ServiceApp[None] = ServiceApp("agents", run_relay=False)

    @agents.on_request("agents.create_objective", idempotent="the stand-in only records the call")
    async def create(req: CreateObjective, ctx: HandlerContext) -> ObjectiveReply:
        calls.append((ctx.request_id, req))
        if fail_first and fail_first.pop():
            raise RemoteError("unavailable", "the agents service is restarting")
        objective = {"id": "obj-1", "agent": req.agent, "title": req.title, "budget": {}, "risk_level": "medium"}
        run = {"id": "run-1", "objective_id": "obj-1", "agent": req.agent, "run_number": 1, "status": "running"}
        return ObjectiveReply.model_validate({"objective": objective, "run": run})
    return agents


async def test_run_agent_starts_an_objective_under_one_request_id_across_retries(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    settings = with_fresh_prefix(wf_settings)
    calls: list[tuple[str | None, CreateObjective]] = []
    step = {"type": "run_agent", "retry": {"max": 2, "base_delay_ms": 5}, "config": {
        "agent": "sales_agent", "title": "Relancer {{ event.email }}", "description": "Lead chaud"}}
    async with _fake_agents(calls, [True]).running(settings, wf_pool), \
            RpcClient(settings, source="workflows") as rpc:
        wf = make_wf(rpc=rpc)
        workflow = await add_workflow(wf_pool, wf, steps=[step])
        run_id = await start_run(wf_pool, wf, workflow, {"email": "ana@exemple.fr"})
        async with executor(wf, wf_settings) as ex:
            run = await _finish(ex, wf_pool, run_id)
    assert run["status"] == "completed", run["error"]
    assert run["outputs"]["0"] == {"objective_id": "obj-1", "run_id": "run-1", "agent": "sales_agent"}
    (first_id, first), (second_id, _) = calls
    assert first_id == second_id  # the retry carries the same request id: agents acts once for it
    assert first.start is True and first.title == "Relancer ana@exemple.fr"
    assert first.created_by == f"workflow:{workflow['name']}"


async def test_drive_refusals_fail_with_their_reason(make_wf: WfFactory, wf_pool: asyncpg.Pool,
                                                     wf_settings: Settings) -> None:
    storage = PostgresStorage(wf_pool, "workflows", 10 * 1024 * 1024)
    small, large = f"workflows-test/{uuid.uuid4().hex}.txt", f"workflows-test/{uuid.uuid4().hex}.bin"
    await storage.put(small, b"bonjour", "text/plain")
    await storage.put(large, b"x" * (5 * 1024 * 1024 + 1), "application/octet-stream")
    async with FakeDriveServer(token="another-token") as drive:
        wf = make_wf(drive_base_url=drive.base_url)
        runs = []
        for key in (small, large, "workflows-test/absent.pdf"):
            workflow = await add_workflow(wf_pool, wf, steps=[{"type": "upload_drive", "config": {"file_key": key}}])
            runs.append(await start_run(wf_pool, wf, workflow))
        async with executor(wf, wf_settings) as ex:
            unauthorized, too_big, absent = [await _finish(ex, wf_pool, r) for r in runs]
    assert unauthorized["status"] == "failed" and "invalid or expired" in unauthorized["error"]
    assert too_big["status"] == "failed" and "5 MB" in too_big["error"]
    assert absent["status"] == "failed" and "no file" in absent["error"]
    assert drive.uploads == 0
