"""A run end to end against the real broker, Postgres, the fake LLM server and a real SMTP server."""

from __future__ import annotations

from libs.common import metrics
from libs.common.events.agents import Budget
from tests.agents.conftest import Agents, call, text


def _count(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_run_calls_its_tools_and_completes_with_the_models_answer(agents: Agents) -> None:
    before = (_count("comptoir_agent_runs_total", status="completed"),
              _count("comptoir_agent_tool_calls_total", tool="list_leads", status="succeeded"))
    made = await agents.objective(call("get_company_facts"), call("list_leads", since_days=7),
                                  text("Deux leads à relancer."), tools=["get_company_facts", "list_leads"])
    assert made.run is not None and made.run.run_number == 1
    detail = await agents.wait_status(made.run.id)
    assert detail.run.status == "completed", detail
    assert detail.run.summary == "Deux leads à relancer."
    assert [c.tool for c in detail.tool_calls] == ["get_company_facts", "list_leads"]
    assert all(c.status == "succeeded" for c in detail.tool_calls)
    assert [s.step_number for s in detail.steps] == [1, 2, 3]
    kinds = [e.type for e in detail.events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_completed"
    assert kinds.count("tool_called") == 2 and kinds.count("step_completed") == 3
    assert detail.run.tokens > 0
    # the service's series (services/agents/metrics.py), counted from the run's facts
    assert _count("comptoir_agent_runs_total", status="completed") == before[0] + 1
    assert _count("comptoir_agent_tool_calls_total", tool="list_leads", status="succeeded") == before[1] + 1
    # the model saw each tool's real result before its next step
    calls = agents.llm_calls(made.objective.title)
    assert len(calls) == 3
    tool_messages = [m for m in calls[2]["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == 2 and '"leads"' in tool_messages[1]["content"]
    assert {t["function"]["name"] for t in calls[0]["tools"]} == {"get_company_facts", "list_leads"}


async def test_steps_budget_stops_the_run_with_a_summary(agents: Agents) -> None:
    stops = _count("comptoir_agent_budget_stops_total", budget="steps")
    made = await agents.objective(*[call("get_company_facts") for _ in range(5)], tools=["get_company_facts"],
                                  budget=Budget(max_steps=2, max_tool_calls=20, max_duration_ms=60_000))
    assert made.run is not None
    detail = await agents.wait_status(made.run.id)
    assert detail.run.stop_reason == "budget_exhausted: steps"
    assert detail.run.status == "failed" and detail.run.steps == 2
    assert "2 étape(s)" in (detail.run.summary or "")
    assert detail.events[-1].type == "budget_exhausted" and detail.events[-1].data["budget"] == "steps"
    assert _count("comptoir_agent_budget_stops_total", budget="steps") == stops + 1
