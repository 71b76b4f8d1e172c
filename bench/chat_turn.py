"""Chat turn latency and throughput: RpcClient → chat.turn → security.screen + rag.search → LLM (the
local fake OpenAI server, answering at once, streaming) → output guard → reply, with the
deltas streamed to a reply queue as the gateway would. Next to it, in the same run and at the same
concurrency, a bare broker request/reply round trip (an echo service) as the baseline.

The real security and RAG services run (RAG with the default MiniLM model on the demo knowledge base),
all in this process like `comptoir up` (`--layout processes`: one OS process per service, as
deployed); the fake LLM runs in its own process. The output guard runs in process and only calls
security.guard_output for a reply it does not allow (none here). The HTTP layer (gateway) is not
included: the gateway's benchmark adds it. Every figure depends on what else the machine runs: the
1-minute load average before and after is recorded with them.
Targets: p50 ≤ 30 ms at 1 session; ≥ 100 turns/s at 50 sessions with p99 ≤ 500 ms.

    .venv/bin/python -m bench.chat_turn [--turns 200] [--layout one|processes] [--rag real|stub]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
import uuid
from typing import Any

import aio_pika

from bench._common import (
    Echo,
    EchoReply,
    bench_database,
    bench_settings,
    cpu_ms_per_turn,
    echo_app,
    free_port,
    process_cpu_seconds,
    run_level,
    write_result,
)
from libs.common.db import create_pool
from libs.common.errors import ComptoirError
from libs.common.events.chat import ChatTurn, ChatTurnReply
from libs.common.events.rag import KnowledgeSearchResults, SearchKnowledge
from libs.common.llm import LLMSettings
from libs.common.logging import configure_logging
from libs.common.rpc import RpcClient
from libs.common.settings import REPO_ROOT, Settings
from services.chat.app import svc as chat_app
from services.chat.config import ChatSettings
from services.gateway.demo_facts import seed_demo

QUESTIONS = [
    "Quels sont les frais de livraison ?",
    "Combien de temps pour être livré à Lyon ?",
    "Puis-je retourner une lampe qui ne me plaît pas ?",
    "Quelle est la garantie de vos luminaires ?",
    "Comment entretenir un abat-jour en lin ?",
    "Livrez-vous en Suisse ?",
    "Quels moyens de paiement acceptez-vous ?",
    "Où se trouve votre boutique ?",
    "Quelle ampoule pour une suspension en verre ?",
    "Quel délai pour une suspension sur mesure ?",
    "La livraison express est-elle possible pour un lampadaire ?",
    "Comment se passe un échange ?",
]
# The stand-in search (--rag stub) matches words: questions it can answer.
STUB_QUESTIONS = [
    "Quels sont les frais de livraison ?",
    "Combien coûte la suspension Opale ?",
    "Quel est le délai de livraison ?",
    "Comment obtenir un remboursement ?",
    "La suspension Opale existe-t-elle en noir ?",
    "Puis-je retourner un article ?",
]
LEVELS = (1, 10, 50)




async def start_fake_llm() -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.llm_server",
        "--port",
        str(port),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.DEVNULL,
    )
    for _ in range(100):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return process, f"http://127.0.0.1:{port}/v1"
        await asyncio.sleep(0.1)
    process.kill()
    raise RuntimeError("fake LLM server did not start")


async def start_services(
    stack: contextlib.AsyncExitStack, settings: Settings, pool: Any, llm_url: str, rag_mode: str
) -> None:
    from services.security.app import svc as security_app

    await stack.enter_async_context(security_app.running(settings, pool))
    if rag_mode == "real":
        from services.rag.app import svc as rag_app
        from services.rag.demo import load_demo

        _, runtime = await stack.enter_async_context(rag_app.started(settings, pool))
        await load_demo(pool, settings, runtime=runtime)
    else:
        from tests.chat.conftest import build_stub_services

        rag_stub = build_stub_services({"screened": 0, "embedded": 0, "guarded": 0, "quotes": []})[1]
        await stack.enter_async_context(rag_stub.running(settings, pool))
    llm = LLMSettings(base_url=llm_url, api_key="bench", model="fake", timeout_s=5.0)
    await stack.enter_async_context(
        chat_app.running(settings, pool, deps={"chat_settings": ChatSettings(), "llm_settings": llm})
    )
    await stack.enter_async_context(echo_app("bench").running(settings, pool))


def service_env(settings: Settings, llm_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": settings.database_url.get_secret_value() if settings.database_url else "",
            "AMQP_URL": settings.amqp_url.get_secret_value(),
            "COMPTOIR_QUEUE_PREFIX": settings.queue_prefix,
            "COMPTOIR_EVENTS_EXCHANGE": settings.events_exchange,
            "COMPTOIR_DATA_DIR": str(settings.data_dir),
            "LOG_LEVEL": "WARNING",
            "LLM_BASE_URL": llm_url,
            "LLM_API_KEY": "bench",
            "LLM_MODEL": "fake",
            "LLM_TIMEOUT_S": "5",
        }
    )
    return env


async def start_processes(stack: contextlib.AsyncExitStack, settings: Settings, pool: Any, llm_url: str) -> None:
    """One OS process per service, as deployed (`python -m services.<name>`)."""
    from services.rag.demo import load_demo

    await load_demo(pool, settings)
    env = service_env(settings, llm_url)
    for name in ("security", "rag", "chat"):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"services.{name}", cwd=REPO_ROOT, env=env, stdout=asyncio.subprocess.DEVNULL
        )
        stack.push_async_callback(_stop, process)
    await stack.enter_async_context(echo_app("bench").running(settings, pool))
    await _wait_for_chat(settings)


async def _stop(process: asyncio.subprocess.Process) -> None:
    process.terminate()
    await process.wait()


async def _wait_for_chat(settings: Settings) -> None:
    body = ChatTurn(session_id="bench-ready", message="Bonjour", request_id="ready")
    async with RpcClient(settings, source="bench") as rpc:
        for _ in range(600):
            with contextlib.suppress(ComptoirError):
                reply = await rpc.request(ChatTurn.TYPE, body, ChatTurnReply, timeout=5)
                search = SearchKnowledge(query="livraison", k=1)
                await rpc.request(SearchKnowledge.TYPE, search, KnowledgeSearchResults, timeout=5)
                if reply.reply:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the services did not come up")


async def measure(
    settings: Settings, turns: int, stream_queue: str, questions: list[str], levels: tuple[int, ...] = LEVELS
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    async with RpcClient(settings, source="bench") as rpc:
        sessions: dict[int, str] = {}
        fallbacks: dict[str, int] = {}

        async def chat_turn(w: int, i: int) -> None:
            if i % 20 == 0:  # a fresh session every 20 turns keeps clear of maxTurns
                sessions[w] = f"bench-{uuid.uuid4().hex}"
            body = ChatTurn(
                session_id=sessions[w],
                message=questions[(w + i) % len(questions)],
                request_id=uuid.uuid4().hex,
                stream_to=stream_queue,
                screened=False,
            )
            reply = await rpc.request(ChatTurn.TYPE, body, ChatTurnReply, timeout=30)
            if reply.mode != "llm":  # counted, not hidden: such a turn skipped the LLM
                key = reply.fallback_reason or reply.mode
                fallbacks[key] = fallbacks.get(key, 0) + 1

        async def echo(w: int, i: int) -> None:
            await rpc.request(Echo.TYPE, Echo(text="ping"), EchoReply, timeout=30)

        await run_level(chat_turn, 4, 40)  # warm-up: pools, caches, JIT-free but lazy imports
        for workers in levels:
            count = turns if workers == 1 else max(turns * 2, workers * 10)
            figures[f"broker_rtt_{workers}"] = await run_level(echo, workers, count)
            fallbacks.clear()
            cpu_before = process_cpu_seconds()
            figures[f"chat_turn_{workers}"] = await run_level(chat_turn, workers, count)
            figures[f"chat_turn_{workers}"]["not_llm"] = dict(fallbacks)
            # where the machine's CPU went, per turn: each service process (--layout processes),
            # Postgres, RabbitMQ, the fake LLM; with --layout one the services are in this process
            figures[f"cpu_ms_per_turn_{workers}"] = cpu_ms_per_turn(
                cpu_before, process_cpu_seconds(), figures[f"chat_turn_{workers}"]["requests"])
            print(workers, figures[f"broker_rtt_{workers}"], figures[f"chat_turn_{workers}"],
                  figures[f"cpu_ms_per_turn_{workers}"], flush=True)
    return figures


async def main(turns: int, rag_mode: str, layout: str = "one", levels: tuple[int, ...] = LEVELS) -> None:
    configure_logging("WARNING", json=True)
    load_before = os.getloadavg()
    process, llm_url = await start_fake_llm()
    try:
        async with bench_database() as dsn, contextlib.AsyncExitStack() as stack:
            settings = bench_settings(dsn, COMPTOIR_DATA_DIR=str(REPO_ROOT / ".comptoir"))
            pool = await create_pool(settings, min_size=4, max_size=40)
            stack.push_async_callback(pool.close)
            await seed_demo(pool)
            if layout == "processes":
                await start_processes(stack, settings, pool, llm_url)
            else:
                await start_services(stack, settings, pool, llm_url, rag_mode)
            connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
            stack.push_async_callback(connection.close)
            channel = await connection.channel()
            queue = await channel.declare_queue(f"bench-stream-{uuid.uuid4().hex}", exclusive=True)
            await queue.consume(_discard, no_ack=True)
            questions = QUESTIONS if rag_mode == "real" else STUB_QUESTIONS
            figures = await measure(settings, turns, queue.name, questions, levels)
    finally:
        process.terminate()
        await process.wait()
    one, fifty = figures.get("chat_turn_1"), figures.get("chat_turn_50")
    if one is None or fifty is None:  # a partial run (--levels) is printed, not recorded
        return
    write_result(
        "chat_turn" if layout == "one" else "chat_turn_processes",
        {
            "path": (
                "RpcClient → chat.turn → security.screen + rag.search → fake LLM (stream, deltas to a reply queue)"
                " → output guard (in process)"
            ),
            "rag": rag_mode,
            "layout": layout,
            "figures": figures,
            # other work on the machine skews every figure: the 1-minute load before and after the run
            "load_average": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
            "targets": {"p50_1_session_ms": 30, "turns_per_s_50": 100, "p99_50_ms": 500},
            "met": {
                "p50_1_session": one["p50_ms"] <= 30,
                "throughput_50": fifty["per_s"] >= 100,
                "p99_50": fifty["p99_ms"] <= 500,
            },
        },
    )


async def _discard(message: aio_pika.abc.AbstractIncomingMessage) -> None:
    return None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200, help="turns at 1 session (more at 10 and 50)")
    parser.add_argument("--rag", choices=("real", "stub"), default="real", help="stub: only with --layout one")
    parser.add_argument(
        "--layout",
        choices=("one", "processes"),
        default="one",
        help="one: every service in this process (as `comptoir up`); processes: one OS process per service, "
        "as deployed (written to chat_turn_processes.json)",
    )
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)),
                        help="concurrency levels, comma-separated (a run without 1 and 50 is not recorded)")
    arguments = parser.parse_args()
    rag_mode = "real" if arguments.layout == "processes" else arguments.rag
    levels = tuple(int(level) for level in arguments.levels.split(","))
    asyncio.run(main(arguments.turns, rag_mode, arguments.layout, levels))
