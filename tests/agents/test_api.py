"""The admin API `/v1/admin/agents/…` in front of the running agents service: the contract's error
codes as HTTP statuses, and a run approved over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from tests.agents.conftest import Agents, add_lead, call, text

TOKEN = "agents-admin-token-0123456789"
AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def http(agents: Agents) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(agents.settings, GatewaySettings(_env_file=None, admin_token=TOKEN), pool=agents.pool,
                     run_relay=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test", headers=AUTH) as client:
            yield client


async def test_the_registry_lists_the_three_agents_and_the_tools(http: httpx.AsyncClient) -> None:
    found = (await http.get("/v1/admin/agents")).json()
    assert {"sales_agent", "content_agent", "security_agent"} <= {a["name"] for a in found["agents"]}
    tools = {t["name"]: t for t in found["tools"]}
    assert tools["send_email"]["risk_level"] == "high" and "properties" in tools["send_email"]["parameters"]
    assert (await http.get("/v1/admin/agents", headers={"authorization": ""})).status_code == 401


@pytest.mark.parametrize(("body", "code"), [
    ({"agent": "ghost_agent", "title": "x"}, "unknown_agent"),
    ({"agent": "sales_agent", "title": "x", "tools": ["teleport"]}, "unknown_tool"),
    ({"agent": "sales_agent", "title": "x", "budget": {"max_steps": -1}}, "invalid_budget"),
    ({"agent": "sales_agent", "title": "x", "budget": {"max_tool_calls": -5}}, "invalid_budget"),
])
async def test_bad_objectives_are_422_with_the_reason(http: httpx.AsyncClient, body: dict[str, object],
                                                       code: str) -> None:
    answer = await http.post("/v1/admin/agents/objectives", json=body)
    assert answer.status_code == 422 and answer.json()["error"] == code, answer.text
    assert answer.json()["detail"]


async def test_a_value_postgres_cannot_hold_is_a_400_not_a_5xx(http: httpx.AsyncClient) -> None:
    answer = await http.post("/v1/admin/agents/objectives", json={"agent": "sales_agent", "title": "nul\u0000"})
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request", answer.text


async def test_unknown_ids_are_404(http: httpx.AsyncClient) -> None:
    ghost = str(uuid.uuid4())
    for method, path in (("POST", f"/v1/admin/agents/approvals/{ghost}/approve"),
                         ("GET", f"/v1/admin/agents/runs/{ghost}"), ("POST", f"/v1/admin/agents/runs/{ghost}/cancel"),
                         ("POST", f"/v1/admin/agents/objectives/{ghost}/runs")):
        answer = await http.request(method, path)
        assert answer.status_code == 404 and answer.json()["error"] == "not_found", (path, answer.text)


async def test_an_objective_run_and_its_approval_over_http(agents: Agents, http: httpx.AsyncClient) -> None:
    email = f"lea-{uuid.uuid4().hex[:6]}@client.test"
    await add_lead(agents.pool, email)
    agents.script.add("relance http", call("send_email", to=email, subject="Relance", body="Bonjour !"),
                      text("Relance envoyée."))
    made = await http.post("/v1/admin/agents/objectives", json={
        "agent": "sales_agent", "title": "Objectif relance http", "tools": ["send_email"], "risk_level": "high",
        "budget": {"max_steps": 4, "max_tool_calls": 2, "max_duration_ms": 60000}, "start": True})
    assert made.status_code == 201, made.text
    run_id = made.json()["run"]["id"]
    await agents.wait_status(run_id, "paused")
    pending = (await http.get("/v1/admin/agents/approvals")).json()["items"]
    approval = next(a for a in pending if a["run_id"] == run_id)
    assert approval["tool"] == "send_email" and approval["args"]["to"] == email
    approved = await http.post(f"/v1/admin/agents/approvals/{approval['id']}/approve", json={"decided_by": "moi"})
    assert approved.status_code == 200 and approved.json()["approval"]["status"] == "approved"
    again = await http.post(f"/v1/admin/agents/approvals/{approval['id']}/reject", json={"reason": "non"})
    assert again.status_code == 409 and again.json()["error"] == "approval_closed"
    await agents.wait_status(run_id)
    detail = (await http.get(f"/v1/admin/agents/runs/{run_id}")).json()
    assert detail["run"]["status"] == "completed" and len(agents.smtp.messages) == 1
    assert run_id in [r["id"] for r in (await http.get("/v1/admin/agents/runs?status=completed")).json()["items"]]
    finished = await http.post(f"/v1/admin/agents/runs/{run_id}/cancel")
    assert finished.status_code == 409 and finished.json()["error"] == "run_finished"
    rerun = await http.post(f"/v1/admin/agents/objectives/{made.json()['objective']['id']}/runs")
    assert rerun.status_code == 201 and rerun.json()["run"]["run_number"] == 2
