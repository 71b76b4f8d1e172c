"""kill -9 of an agents worker (`python -m services.agents`, exactly `comptoir serve agents`) in the
middle of a run, after an approval, and while its e-mail is on the wire; two replicas sharing runs.

The kill happens at a fixed point: while the fake LLM holds the worker's next model call (or the SMTP
server holds its DATA). Side effects are counted where they land (the real SMTP server)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from libs.common.events.agents import (
    ApprovalReply,
    Budget,
    CreateObjective,
    DecideApproval,
    ObjectiveReply,
)
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from tests.agents.conftest import Agents, add_lead, call, text
from tests.conftest import eventually, with_fresh_prefix
from tests.fakes.llm_server import ConversationScript, FakeLLMServer
from tests.fakes.smtp_server import FakeSmtpServer
from tests.resilience.stack import Proc, Stack

pytestmark = pytest.mark.slow
OWNER = "owner@boutique.test"


def _list_queues() -> list[dict[str, object]]:
    out = subprocess.run(["rabbitmqctl", "list_queues", "name", "consumers", "--formatter", "json", "-q"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    rows: list[dict[str, object]] = json.loads(out or "[]")
    return rows


class Workers:
    def __init__(self, stack: Stack, agents: Agents) -> None:
        self.stack, self.agents = stack, agents

    async def spawn(self) -> Proc:
        proc = self.stack.spawn("agents")
        await self.stack.wait_consumers(_list_queues, "agents", timeout=60)
        return proc

    async def llm_asked(self, title: str, times: int) -> None:
        async def probe() -> bool:
            return len(self.agents.llm_calls(title)) >= times
        await eventually(probe, 20)


@pytest.fixture
async def workers(settings: Settings, pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[Workers]:
    own = with_fresh_prefix(settings)
    script = ConversationScript()
    with FakeSmtpServer() as smtp:
        async with FakeLLMServer(conversations=script) as llm, RpcClient(own, source="tests") as rpc:
            env = {"AGENTS_LEASE_S": "1.5", "AGENTS_RECOVERY_INTERVAL_S": "0.3", "AGENTS_OWNER_EMAIL": OWNER,
                   "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_FROM": smtp.sender,
                   "SMTP_TLS": "none", "LLM_TIMEOUT_S": "10"}
            stack = Stack(own, tmp_path, llm.base_url, extra_env=env)
            try:
                yield Workers(stack, Agents(own, pool, rpc, llm, script, smtp))
            finally:
                await stack.stop_all()


async def test_a_worker_killed_mid_run_leaves_the_run_to_another_from_its_last_step(workers: Workers) -> None:
    agents = workers.agents
    first = await workers.spawn()
    made = await agents.objective(call("notify_owner", subject="Leads", message="Trois leads chauds."),
                                  text("Propriétaire prévenu.", delay_s=4.0), tools=["notify_owner"], risk="high")
    assert made.run is not None
    await workers.llm_asked(made.objective.title, 2)  # step 1 done (mail sent), step 2 held by the LLM
    workers.stack.kill(first)
    await workers.spawn()
    detail = await agents.wait_status(made.run.id, timeout=30)
    assert detail.run.status == "completed", detail.run
    assert len(agents.smtp.messages) == 1  # notify_owner's e-mail went once
    calls = agents.llm_calls(made.objective.title)
    assert len(calls) == 3  # step 1 once; step 2 asked by the dead worker, then by the new one
    assert [c.status for c in detail.tool_calls] == ["succeeded"]


async def test_a_worker_killed_after_an_approval_runs_the_tool_once(workers: Workers) -> None:
    agents = workers.agents
    email = f"lea-{uuid.uuid4().hex[:6]}@client.test"
    await add_lead(agents.pool, email)
    first = await workers.spawn()
    made = await agents.objective(call("send_email", to=email, subject="Offre", body="Bonjour Léa."),
                                  text("Envoyé.", delay_s=4.0), tools=["send_email"], risk="high")
    assert made.run is not None
    paused = await agents.wait_status(made.run.id, "paused")
    await agents.rpc.request(DecideApproval.TYPE, DecideApproval(approval_id=paused.approvals[0].id,
                                                                 decision="approve"), ApprovalReply)
    await workers.llm_asked(made.objective.title, 2)  # the e-mail went, the model holds the next step
    workers.stack.kill(first)
    await workers.spawn()
    detail = await agents.wait_status(made.run.id, timeout=30)
    assert detail.run.status == "completed"
    assert len(agents.smtp.messages) == 1
    tool_reply = next(m for m in agents.llm_calls(made.objective.title)[-1]["messages"] if m["role"] == "tool")
    assert json.loads(tool_reply["content"])["sent"] is True


async def test_an_email_in_flight_when_its_worker_dies_is_not_sent_again(workers: Workers) -> None:
    agents = workers.agents
    first = await workers.spawn()
    agents.smtp.hold_s = 3.0
    made = await agents.objective(call("notify_owner", subject="Alerte", message="Incident."),
                                  text("Fait."), tools=["notify_owner"], risk="high")
    assert made.run is not None

    async def on_the_wire() -> bool:
        return agents.smtp.data_started >= 1
    await eventually(on_the_wire, 20)
    workers.stack.kill(first)
    agents.smtp.hold_s = 0.0
    await workers.spawn()
    detail = await agents.wait_status(made.run.id, timeout=30)
    assert detail.run.status == "completed"
    assert agents.smtp.data_started == 1  # never sent a second time
    assert detail.tool_calls[0].status == "failed" and "interrupted" in (detail.tool_calls[0].error or "")


async def test_two_replicas_share_runs_without_running_a_step_twice(workers: Workers) -> None:
    agents = workers.agents
    await asyncio.gather(workers.spawn(), workers.spawn())
    budget = Budget(max_steps=5, max_tool_calls=5, max_duration_ms=60_000)
    made = await asyncio.gather(*[
        agents.objective(call("get_company_facts"), call("list_leads", since_days=3), text(f"Fini {n}."),
                         tools=["get_company_facts", "list_leads"], budget=budget) for n in range(8)])
    for objective in made:
        assert objective.run is not None
        detail = await agents.wait_status(objective.run.id, timeout=30)
        assert detail.run.status == "completed", detail.run
        assert [s.step_number for s in detail.steps] == [1, 2, 3]
        assert len(agents.llm_calls(objective.objective.title)) == 3  # each step asked once
        assert [c.tool for c in detail.tool_calls] == ["get_company_facts", "list_leads"]


async def test_an_objective_created_on_a_replica_set_runs(workers: Workers) -> None:
    await workers.spawn()
    workers.agents.script.add("résumé incidents", call("list_incidents", since_days=30), text("Aucun incident."))
    made = await workers.agents.rpc.request(
        CreateObjective.TYPE, CreateObjective(agent="security_agent", title="Objectif résumé incidents",
                                              tools_allowed=["list_incidents"], start=True), ObjectiveReply)
    assert made.run is not None
    detail = await workers.agents.wait_status(made.run.id, timeout=20)
    assert detail.run.summary == "Aucun incident."
