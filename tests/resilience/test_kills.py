"""kill -9 of a service process with work in flight during a burst of 60 concurrent requests: every
request the client was told succeeded is there once, and every request ends up acknowledged (the
client retries with the same Idempotency-Key / request id, as the widget and the services do).

The kill happens at a fixed point of the burst (the 20th LLM call for chat and security, the moment
billing's 10th quote row of the burst), and the test asserts work was in flight then.
A second replica of chat, rag and security shares the work as competing consumers; killing one of
two under load loses nothing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from libs.common.errors import ComptoirError
from libs.common.events.billing import CreateQuote, QuoteLineIn, QuoteReply
from libs.common.rpc import RpcClient
from tests.fakes.llm_server import FakeLLMServer, Step
from tests.fakes.rabbit_node import RabbitNode
from tests.resilience.stack import Stack

pytestmark = pytest.mark.slow
BURST = 60
RETRY_FOR_S = 90.0
COUNT_QUOTES = "SELECT count(*) FROM app_quotes WHERE email = ANY($1)"
COUNT_USER_MESSAGES = """
SELECT count(*) FROM app_chat_sessions s, jsonb_array_elements(s.messages) m
WHERE m->>'role' = 'user' AND m->>'content' = $1
"""


@dataclass
class Asked:
    text: str
    key: str
    attempts: int = 0
    status: int = 0


async def _turn_until_acknowledged(http: httpx.AsyncClient, asked: Asked) -> None:
    deadline = time.monotonic() + RETRY_FOR_S
    while time.monotonic() < deadline:
        asked.attempts += 1
        try:
            response = await http.post("/v1/chat/messages", json={"message": asked.text},
                                       headers={"Idempotency-Key": asked.key})
            asked.status = response.status_code
            if response.status_code == 200:
                return
            assert response.status_code in (409, 503, 504), response.text  # retryable, never a 500
        except httpx.HTTPError:
            asked.status = 0
        await asyncio.sleep(0.5)


def _queued(node: RabbitNode, queue: str) -> int:
    """Ready plus unacknowledged: a killed consumer's unacked deliveries go back to ready at once."""
    for row in node.list_queues("name", "messages"):
        if row["name"] == queue:
            return int(str(row["messages"]))
    return 0


async def _burst_with_kill(stack: Stack, node: RabbitNode, llm: FakeLLMServer, victim: str,
                           res_pool: asyncpg.Pool) -> None:
    llm.script(*[Step(text="Réponse posée.", delay_s=0.4) for _ in range(BURST * 3)])
    run = uuid.uuid4().hex[:8]
    asked = [Asked(f"Question {n} du lot {run} : livrez-vous en Belgique ?", f"{run}-{n}") for n in range(BURST)]
    calls_before = len(llm.requests)
    victims = stack.running(victim)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=40,
                                 limits=httpx.Limits(max_connections=BURST)) as http:
        burst = [asyncio.create_task(_turn_until_acknowledged(http, a)) for a in asked]
        while len(llm.requests) - calls_before < 20:  # the fixed point: the 20th LLM call of the burst
            await asyncio.sleep(0.01)
        answered = sum(a.status == 200 for a in asked)
        stack.kill(victims[0])
        assert answered < BURST - 20, "the burst was over before the kill"  # work was in flight
        replacement = stack.spawn(victim)
        await stack.wait_consumers(node.list_queues, victim)
        await asyncio.gather(*burst)
    assert replacement.alive
    assert [a.text for a in asked if a.status != 200] == [], "acknowledged requests lost"
    for a in asked:  # each turn stored exactly once, retries and redeliveries included
        assert await res_pool.fetchval(COUNT_USER_MESSAGES, a.text) == 1, a


@pytest.mark.parametrize("victim", ["chat", "security"])
async def test_kill_during_a_burst_of_turns(stack: Stack, rabbit_node: RabbitNode, res_llm: FakeLLMServer,
                                            res_pool: asyncpg.Pool, victim: str) -> None:
    await _burst_with_kill(stack, rabbit_node, res_llm, victim, res_pool)


async def test_kill_billing_during_a_burst_of_quotes(stack: Stack, rabbit_node: RabbitNode,
                                                     res_pool: asyncpg.Pool) -> None:
    run = uuid.uuid4().hex[:8]
    emails = [f"client{n}.{run}@example.fr" for n in range(BURST)]
    ids = {email: uuid.uuid4() for email in emails}
    replies: dict[str, QuoteReply] = {}
    queue = stack.settings.queue("billing.rpc.create_quote")

    async def ask(rpc: RpcClient, email: str) -> None:
        body = CreateQuote(email=email, provider="none",
                           lines=[QuoteLineIn(label="Suspension en laiton", unit_price="189.00", quantity=2)])
        deadline = time.monotonic() + RETRY_FOR_S
        while time.monotonic() < deadline:
            try:  # the same request id on every attempt, as a caller's retry
                replies[email] = await rpc.request(CreateQuote.TYPE, body, QuoteReply, timeout=8,
                                                   request_id=ids[email])
                return
            except ComptoirError:
                await asyncio.sleep(0.3)

    async with RpcClient(stack.settings, source="killtest") as rpc:
        burst = [asyncio.create_task(ask(rpc, email)) for email in emails]
        written = 0
        while written < 10:  # the fixed point: billing has committed its 10th quote of the burst
            written = await res_pool.fetchval(COUNT_QUOTES, emails)
        answered = len(replies)
        stack.kill(stack.running("billing")[0])
        # billing takes the whole burst at once (prefetch 64): what it held unanswered goes back
        handed_back = await asyncio.to_thread(_queued, rabbit_node, queue)
        assert answered < BURST, "the burst was over before the kill"
        assert handed_back > 0, (handed_back, answered, written)  # work was in flight at the kill
        stack.spawn("billing")
        await stack.wait_consumers(rabbit_node.list_queues, "billing")
        await asyncio.gather(*burst)
    assert sorted(replies) == sorted(emails), "acknowledged requests lost"
    rows = await res_pool.fetch("SELECT email, count(*) AS n, array_agg(id::text) AS ids FROM app_quotes "
                                "WHERE email = ANY($1) GROUP BY email", emails)
    assert {r["email"]: r["n"] for r in rows} == dict.fromkeys(emails, 1), "duplicate or missing quotes"
    stored = {r["email"]: r["ids"][0] for r in rows}
    assert all(str(replies[e].quote.id) == stored[e] for e in emails)


async def test_two_replicas_share_the_work_and_one_can_die(stack: Stack, rabbit_node: RabbitNode,
                                                           res_llm: FakeLLMServer, res_pool: asyncpg.Pool) -> None:
    for name in ("chat", "rag", "security"):
        stack.spawn(name)
    for name in ("chat", "rag", "security"):
        await stack.wait_consumers(rabbit_node.list_queues, name)  # two consumers on every queue
    rows = [q for q in rabbit_node.list_queues("name", "consumers")
            if str(q["name"]).startswith(stack.settings.queue("chat.rpc."))]
    assert rows and all(int(str(q["consumers"])) >= 2 for q in rows), rows
    # one chat replica dies under load: the other (and its replacement) serve every turn once
    await _burst_with_kill(stack, rabbit_node, res_llm, "chat", res_pool)
