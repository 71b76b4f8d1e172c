"""Budgets, a malformed call from the model, an LLM that times out or is missing, bad input, cancel."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from libs.common import metrics
from libs.common.errors import RemoteError
from libs.common.events.agents import Budget, CancelRun, CreateObjective, ObjectiveReply, RunReply
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from tests.agents.conftest import Agents, agents_service, call, text
from tests.conftest import with_fresh_prefix
from tests.fakes.llm_server import ConversationScript, FakeLLMServer
from tests.fakes.smtp_server import FakeSmtpServer


async def test_tool_calls_budget_stops_before_the_call_over_it(agents: Agents) -> None:
    made = await agents.objective(*[call("get_company_facts") for _ in range(4)], tools=["get_company_facts"],
                                  budget=Budget(max_steps=10, max_tool_calls=1, max_duration_ms=60_000))
    assert made.run is not None
    detail = await agents.wait_status(made.run.id)
    assert detail.run.stop_reason == "budget_exhausted: tool_calls"
    assert [c.status for c in detail.tool_calls] == ["succeeded", "failed"]  # the second one never ran
    assert detail.run.tool_calls == 1


async def test_duration_budget_counts_the_time_the_run_was_active(agents: Agents) -> None:
    slow = {"tool_calls": [{"name": "get_company_facts", "arguments": {}}], "delay_s": 0.6}
    made = await agents.objective(*[slow for _ in range(6)], tools=["get_company_facts"],
                                  budget=Budget(max_steps=10, max_tool_calls=10, max_duration_ms=1000))
    assert made.run is not None
    detail = await agents.wait_status(made.run.id)
    assert detail.run.stop_reason == "budget_exhausted: duration"
    assert 1 <= detail.run.steps <= 3


async def test_a_malformed_tool_call_goes_back_to_the_model_as_an_error(agents: Agents) -> None:
    broken = {"tool_calls": [{"name": "list_leads", "arguments": "{since_days: sept"},
                             {"name": "drop_database", "arguments": {}},
                             {"name": "list_leads", "arguments": {"since_days": -3}}]}

    def failed(tool: str) -> float:
        return metrics.REGISTRY.get_sample_value("comptoir_agent_tool_calls_total",
                                                 {"tool": tool, "status": "failed"}) or 0.0

    before = failed("list_leads"), failed("unknown")
    made = await agents.objective(broken, text("Je n'ai pas pu lister les leads."), tools=["list_leads"])
    assert made.run is not None
    detail = await agents.wait_status(made.run.id)
    assert detail.run.status == "completed"
    assert [c.status for c in detail.tool_calls] == ["failed", "failed", "failed"]
    errors = [json.loads(m["content"])["error"] for m in agents.llm_calls(detail.run.title)[1]["messages"]
              if m["role"] == "tool"]
    assert "not a JSON object" in errors[0] and "unknown tool 'drop_database'" in errors[1]
    assert "since_days" in errors[2]
    # a tool name the model made up is not a label of its own (bounded series)
    assert (failed("list_leads"), failed("unknown")) == (before[0] + 2, before[1] + 1)
    assert metrics.REGISTRY.get_sample_value("comptoir_agent_tool_calls_total",
                                             {"tool": "drop_database", "status": "failed"}) is None


async def test_an_llm_timeout_fails_the_run_cleanly(settings: Settings, pool: asyncpg.Pool,
                                                    smtp: FakeSmtpServer) -> None:
    own = with_fresh_prefix(settings)
    script = ConversationScript()
    script.add("lent", {"text": "trop tard", "delay_s": 3.0})
    async with FakeLLMServer(conversations=script) as llm, \
            agents_service(own, pool, llm.base_url, smtp, llm={"timeout_s": 0.3}), \
            RpcClient(own, source="tests") as rpc:
        harness = Agents(own, pool, rpc, llm, script, smtp)
        made = await rpc.request(CreateObjective.TYPE, CreateObjective(agent="sales_agent", title="Objectif lent",
                                                                       start=True), ObjectiveReply)
        assert made.run is not None
        detail = await harness.wait_status(made.run.id)
    assert detail.run.status == "failed" and detail.run.stop_reason == "llm_timeout"
    assert detail.events[-1].type == "run_failed"


async def test_without_an_llm_a_run_fails_at_once(settings: Settings, pool: asyncpg.Pool,
                                                  smtp: FakeSmtpServer) -> None:
    own = with_fresh_prefix(settings)
    async with agents_service(own, pool, None, smtp), RpcClient(own, source="tests") as rpc:
        made = await rpc.request(CreateObjective.TYPE, CreateObjective(agent="content_agent", title="Trois posts",
                                                                       start=True), ObjectiveReply)
    assert made.run is not None
    assert (made.run.status, made.run.stop_reason) == ("failed", "no_llm_configured")


@pytest.mark.parametrize(("agent", "tools", "code"), [
    ("ghost_agent", None, "unknown_agent"),
    ("content_agent", ["create_quote"], "unknown_tool"),  # a tool the agent is not given
    ("sales_agent", ["teleport"], "unknown_tool"),
])
async def test_an_objective_naming_an_unknown_agent_or_tool_is_refused(agents: Agents, agent: str,
                                                                        tools: list[str] | None, code: str) -> None:
    with pytest.raises(RemoteError) as refused:
        await agents.rpc.request(CreateObjective.TYPE, CreateObjective(agent=agent, title="x", tools_allowed=tools),
                                 ObjectiveReply)
    assert refused.value.code == code


async def test_a_negative_budget_is_not_a_budget() -> None:
    with pytest.raises(ValueError, match="max_steps"):
        Budget(max_steps=-1)


async def test_cancel_ends_a_paused_run_and_a_second_cancel_is_refused(agents: Agents) -> None:
    made = await agents.objective(call("notify_owner", subject="Point", message="Trois leads chauds."),
                                  tools=["notify_owner"], risk="low")
    assert made.run is not None
    await agents.wait_status(made.run.id, "paused")
    cancelled = await agents.rpc.request(CancelRun.TYPE, CancelRun(run_id=made.run.id, reason="plus utile"), RunReply)
    assert cancelled.run.status == "cancelled"
    detail = await agents.detail(made.run.id)
    assert detail.approvals[0].status == "rejected" and detail.tool_calls[0].status == "refused"
    with pytest.raises(RemoteError) as finished:
        await agents.rpc.request(CancelRun.TYPE, CancelRun(run_id=made.run.id), RunReply)
    assert finished.value.code == "run_finished"
    with pytest.raises(RemoteError) as unknown:
        await agents.rpc.request(CancelRun.TYPE, CancelRun(run_id=str(uuid.uuid4())), RunReply)
    assert unknown.value.code == "not_found"


async def test_nul_characters_from_the_model_are_dropped_not_a_stuck_run(agents: Agents) -> None:
    made = await agents.objective({"text": "je cherche\u0000", "tool_calls": [
        {"name": "list_leads", "arguments": '{"since_days": 7, "note": "a\\u0000b"}'}]},
        text("Fini\u0000."), tools=["list_leads"])
    assert made.run is not None
    detail = await agents.wait_status(made.run.id)
    assert (detail.run.status, detail.run.summary) == ("completed", "Fini.")
    assert detail.steps[0].thought == "je cherche"
    assert detail.tool_calls[0].status == "failed" and "note" in (detail.tool_calls[0].error or "")
