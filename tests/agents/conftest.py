"""Agents fixtures: the agents service running on the run's database under a queue prefix of its own,
the fake OpenAI-compatible server replaying a script per conversation, and a real SMTP server."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest

from libs.common.events.agents import (
    Budget,
    CreateObjective,
    GetRun,
    ObjectiveReply,
    RunDetail,
)
from libs.common.llm import LLMSettings
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from services.agents.app import svc
from services.agents.config import AgentsSettings
from tests.conftest import eventually, with_fresh_prefix
from tests.fakes.llm_server import ConversationScript, FakeLLMServer
from tests.fakes.smtp_server import FakeSmtpServer

FINISHED = ("completed", "failed", "cancelled")


def agents_settings(**overrides: Any) -> AgentsSettings:
    values: dict[str, Any] = {"lease_s": 1.5, "recovery_interval_s": 0.3, "approval_sweep_interval_s": 0.3,
                              "tool_timeout_s": 5.0, "stall_s": 30.0, "owner_email": "owner@boutique.test"}
    values.update(overrides)
    return AgentsSettings(_env_file=None, **values)


def llm_settings(base_url: str | None, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {"base_url": base_url, "api_key": "sk-test", "model": "fake-model", "max_retries": 0,
                              "timeout_s": 5.0}
    values.update(overrides)
    return LLMSettings(_env_file=None, **values)


@dataclass
class Agents:
    """The running agents service and what tests drive it with."""

    settings: Settings
    pool: asyncpg.Pool
    rpc: RpcClient
    llm: FakeLLMServer
    script: ConversationScript
    smtp: FakeSmtpServer
    tags: list[str] = field(default_factory=list)

    async def objective(self, *replies: dict[str, Any], agent: str = "sales_agent", tools: list[str] | None = None,
                        budget: Budget | None = None, risk: str | None = "high", start: bool = True,
                        description: str = "") -> ObjectiveReply:
        tag = f"obj-{uuid.uuid4().hex[:10]}"
        self.script.add(tag, *replies)
        request = CreateObjective(agent=agent, title=f"Objectif {tag}", description=description,
                                  tools_allowed=tools, budget=budget, risk_level=risk,
                                  start=start)
        return await self.rpc.request(CreateObjective.TYPE, request, ObjectiveReply)

    async def detail(self, run_id: str) -> RunDetail:
        return await self.rpc.request(GetRun.TYPE, GetRun(run_id=run_id), RunDetail)

    async def wait_status(self, run_id: str, *statuses: str, timeout: float = 15.0) -> RunDetail:
        wanted = statuses or FINISHED

        async def probe() -> RunDetail | None:
            found = await self.detail(run_id)
            return found if found.run.status in wanted else None
        return await eventually(probe, timeout)

    def llm_calls(self, tag_in_title: str) -> list[dict[str, Any]]:
        return [r for r in self.llm.requests
                if any(tag_in_title in str(m.get("content") or "") for m in r["messages"] if m.get("role") == "user")]


@contextlib.asynccontextmanager
async def agents_service(settings: Settings, pool: asyncpg.Pool, llm_url: str | None, smtp: FakeSmtpServer,
                         **overrides: Any) -> AsyncIterator[None]:
    deps = {"agents_settings": agents_settings(**overrides.pop("agents", {})),
            "llm_settings": llm_settings(llm_url, **overrides.pop("llm", {})),
            "mail_settings": smtp.settings()}
    async with svc.running(settings, pool, deps=deps):
        yield


@pytest.fixture
def smtp() -> Any:
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
async def agents(settings: Settings, pool: asyncpg.Pool, smtp: FakeSmtpServer) -> AsyncIterator[Agents]:
    own = with_fresh_prefix(settings)
    script = ConversationScript()
    async with FakeLLMServer(conversations=script) as llm, agents_service(own, pool, llm.base_url, smtp), \
            RpcClient(own, source="tests") as rpc:
        yield Agents(own, pool, rpc, llm, script, smtp)


async def add_lead(pool: asyncpg.Pool, email: str, score: int = 40) -> str:
    """A lead as chat would have captured it (test set-up of chat's table)."""
    lead_id = await pool.fetchval("INSERT INTO app_leads (email, name, score) VALUES ($1, 'Léa Martin', $2) "
                                  "RETURNING id", email, score)
    return str(lead_id)


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def text(answer: str, **extra: Any) -> dict[str, Any]:
    return {"text": answer, **extra}
