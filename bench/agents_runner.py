"""The agents runner's cost, against a bare broker round trip in the same run.

- baseline: p50 of a request/reply to a handler that does nothing (`bench.echo`), the floor of any
  message hop;
- step overhead: runs of 5 steps (4 `get_company_facts` calls and a final answer) one at a time, the fake
  LLM answering at once; a step's time is the gap between its `step_completed` fact and the previous
  one, its overhead that minus the model call's time (`llm_ms`, measured by the runner);
- 100 runs at once: steps per second and the p99 step time;
- approval → tool executed: from the owner's approval (database clock) to the tool call's end.

The agents service, the fake LLM (tests/fakes/llm_server.py) and the client share this process.

    .venv/bin/python -m bench.agents_runner [--runs 20] [--concurrent 100] [--approvals 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

import asyncpg

from bench._common import Echo, EchoReply, bench_database, bench_settings, echo_app, write_result
from libs.common.db import create_pool
from libs.common.events.agents import (
    ApprovalReply,
    Budget,
    CreateObjective,
    DecideApproval,
    ObjectiveReply,
)
from libs.common.llm import LLMSettings
from libs.common.logging import configure_logging
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from services.agents.app import svc
from services.agents.config import AgentsSettings
from tests.fakes.llm_server import ConversationScript, FakeLLMServer

STEPS = 5
BUDGET = Budget(max_steps=20, max_tool_calls=20, max_duration_ms=600_000)
FACTS = {"tool_calls": [{"name": "get_company_facts", "arguments": {}}]}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0


async def echo_p50(settings: Settings, pool: asyncpg.Pool, rpc: RpcClient, n: int = 300) -> float:
    async with echo_app().running(settings, pool):
        for _ in range(20):
            await rpc.request("bench.echo", Echo(text="x"), EchoReply)
        times = []
        for _ in range(n):
            started = time.perf_counter()
            await rpc.request("bench.echo", Echo(text="x"), EchoReply)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def start(rpc: RpcClient, script: ConversationScript, replies: list[dict[str, Any]],
                tools: list[str], risk: str = "high") -> str:
    tag = f"bench-{uuid.uuid4().hex[:10]}"
    script.add(tag, *replies)
    made = await rpc.request(CreateObjective.TYPE, CreateObjective(
        agent="sales_agent", title=f"Objectif {tag}", tools_allowed=tools, budget=BUDGET, risk_level=risk,
        start=True), ObjectiveReply)
    assert made.run is not None
    return made.run.id


async def wait_all(pool: asyncpg.Pool, run_ids: list[str], statuses: tuple[str, ...] = ("completed",),
                   timeout: float = 600) -> None:
    ids = [uuid.UUID(r) for r in run_ids]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = await pool.fetchval("SELECT count(*) FROM app_agent_runs WHERE id = ANY($1) AND status = ANY($2)",
                                   ids, list(statuses))
        if done == len(ids):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("runs did not finish")


async def step_times(pool: asyncpg.Pool, run_ids: list[str],
                     split: dict[str, list[float]] | None = None) -> tuple[list[float], list[float]]:
    """(step times, step overheads) in ms, from the runs' facts; `split` gets the two halves of a step:
    `to_answer` (the message hop, the claim, the model's answer recorded) and `acting` (the tool call)."""
    steps, overheads = [], []
    split = split if split is not None else {}
    for run_id in run_ids:
        rows = await pool.fetch("""SELECT event_type, data, created_at FROM app_agent_events WHERE run_id = $1
                                   AND event_type IN ('run_started', 'step_started', 'step_completed')
                                   ORDER BY created_at""", uuid.UUID(run_id))
        last = answered = rows[0]["created_at"]
        llm_ms = 0.0
        for row in rows[1:]:
            if row["event_type"] == "step_started":
                llm_ms = float(row["data"].get("llm_ms", 0))
                split.setdefault("to_answer", []).append((row["created_at"] - last).total_seconds() * 1000 - llm_ms)
                answered = row["created_at"]
            elif row["event_type"] == "step_completed":
                took = (row["created_at"] - last).total_seconds() * 1000
                split.setdefault("acting", []).append((row["created_at"] - answered).total_seconds() * 1000)
                steps.append(took)
                overheads.append(took - llm_ms)
                last = row["created_at"]
    return steps, overheads


async def approval_latencies(pool: asyncpg.Pool, rpc: RpcClient, script: ConversationScript, n: int) -> list[float]:
    replies: list[dict[str, Any]] = [
        {"tool_calls": [{"name": "notify_owner", "arguments": {"subject": "Point", "message": "ok"}}]},
        {"text": "Fait."}]
    run_ids = [await start(rpc, script, replies, ["notify_owner"], risk="low") for _ in range(n)]
    await wait_all(pool, run_ids, ("paused",))
    latencies = []
    for run_id in run_ids:
        approval_id = await pool.fetchval("SELECT id FROM app_agent_approvals WHERE run_id = $1", uuid.UUID(run_id))
        t0 = await pool.fetchval("SELECT clock_timestamp()")
        await rpc.request(DecideApproval.TYPE, DecideApproval(approval_id=str(approval_id), decision="approve"),
                          ApprovalReply)
        while True:
            ended = await pool.fetchval("SELECT finished_at FROM app_agent_tool_calls WHERE run_id = $1 "
                                        "AND status = 'succeeded'", uuid.UUID(run_id))
            if ended is not None:
                latencies.append((ended - t0).total_seconds() * 1000)
                break
            await asyncio.sleep(0.002)
    return latencies


async def main(runs: int, concurrent: int, approvals: int) -> None:
    configure_logging("WARNING")  # the runner's cost, not the terminal's (one info line per tool call)
    async with bench_database() as dsn:
        settings = bench_settings(dsn, OUTBOX_POLL_INTERVAL_S=0.5, DB_POOL_MAX=20)
        pool = await create_pool(settings)
        script = ConversationScript()
        replies = [FACTS] * (STEPS - 1) + [{"text": "Fini."}]
        try:
            async with FakeLLMServer(conversations=script) as llm, RpcClient(settings, source="bench") as rpc:
                baseline = await echo_p50(settings, pool, rpc)
                deps = {"agents_settings": AgentsSettings(_env_file=None),
                        "llm_settings": LLMSettings(_env_file=None, base_url=llm.base_url, api_key="k", max_retries=0)}
                async with svc.running(settings, pool, deps=deps):
                    warm = [await start(rpc, script, replies, ["get_company_facts"]) for _ in range(3)]
                    await wait_all(pool, warm)
                    sequential = []
                    for _ in range(runs):
                        sequential.append(await start(rpc, script, replies, ["get_company_facts"]))
                        await wait_all(pool, sequential[-1:])
                    split: dict[str, list[float]] = {}
                    seq_steps, seq_over = await step_times(pool, sequential, split)
                    began = time.perf_counter()
                    many = await asyncio.gather(*[start(rpc, script, replies, ["get_company_facts"])
                                                  for _ in range(concurrent)])
                    await wait_all(pool, many)
                    wall = time.perf_counter() - began
                    many_steps, _ = await step_times(pool, many)
                    approved = await approval_latencies(pool, rpc, script, approvals)
        finally:
            await pool.close()
    write_result("agents_runner", {
        "baseline_broker_round_trip_p50_ms": round(baseline, 2),
        "sequential": {"runs": runs, "steps_per_run": STEPS, "step_p50_ms": pct(seq_steps, 0.5),
                       "step_overhead_excluding_llm_p50_ms": pct(seq_over, 0.5),
                       "step_overhead_excluding_llm_p90_ms": pct(seq_over, 0.9),
                       "overhead_over_round_trip": round(pct(seq_over, 0.5) / baseline, 1) if baseline else None,
                       "hop_claim_and_answer_recorded_p50_ms": pct(split.get("to_answer", []), 0.5),
                       "tool_call_and_step_end_p50_ms": pct(split.get("acting", []), 0.5)},
        "concurrent": {"runs": concurrent, "steps": len(many_steps), "wall_s": round(wall, 2),
                       "steps_per_s": round(len(many_steps) / wall, 1), "step_p50_ms": pct(many_steps, 0.5),
                       "step_p99_ms": pct(many_steps, 0.99)},
        "approval_to_tool_executed": {"approvals": approvals, "p50_ms": pct(approved, 0.5),
                                      "p90_ms": pct(approved, 0.9)},
    })


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--approvals", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.concurrent, args.approvals))
