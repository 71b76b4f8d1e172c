"""Chat turn through the whole stack, as a visitor's browser sees it: HTTP POST → gateway → security
(rate limit + screening) → chat → rag (real MiniLM on the demo knowledge base) → LLM (the local fake
OpenAI server, answering at once) → guard → reply, at 1, 10 and 50 concurrent sessions.

The servers run in their own processes: `comptoir up` (all in one, as a developer runs it) or, with
`--topology split`, one `comptoir serve <service>` process each (as in production). The fake LLM runs
in another process.
Baselines measured in the same run and at the same concurrency: a bare broker request/reply round
trip (an echo service) and a bare HTTP round trip to the same server (`GET /healthz`). The load
generator shares the machine: turns and `/healthz` go through the light keep-alive client of
bench/_http.py (why: docs/benchmarks.md, "Measured choices in the code").
Visitors ask distinct questions (bench/data/questions_fr.txt, none twice in a run), half the turns
streamed, new and returning visitors (see Visitors). Targets (issue 11): ≥ 120 turns/s at 50 sessions
with p99 ≤ 500 ms.

    .venv/bin/python -m bench.gateway_chat [--turns 100] [--topology up|split]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench._common import (
    Echo,
    EchoReply,
    bench_database,
    bench_settings,
    cpu_ms_per_turn,
    echo_app,
    free_port,
    postmaster_pid,
    process_cpu_seconds,
    run_level,
    write_result,
)
from bench._http import Client
from libs.common.db import create_pool
from libs.common.logging import configure_logging
from libs.common.rpc import RpcClient
from libs.common.settings import REPO_ROOT, Settings

# distinct customer questions (bench/make_questions_fr.py): no question is asked twice in a run, so
# every query embedding and search is computed, as with real visitors
QUESTIONS = (Path(__file__).resolve().parent / "data" / "questions_fr.txt").read_text(encoding="utf-8").split("\n")
QUESTIONS = [q for q in QUESTIONS if q.strip()]
WARM_UP = "Quels sont les frais de livraison ?"  # not in the file: the warm-up may repeat it
LEVELS = (1, 10, 50)
NO_LIMITS = json.dumps({"session": {"max": 1_000_000, "window_seconds": 60},
                        "ip": {"max": 1_000_000, "window_seconds": 60},
                        "routes": {"default": {"max": 1_000_000, "window_seconds": 60}}})




async def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url, timeout=2)).status_code < 500:
                    return
            await asyncio.sleep(0.3)
    raise RuntimeError(f"{url} not ready within {timeout:g}s")


def start_fake_llm(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.fakes.llm_server", "--port", str(port)],
                            cwd=REPO_ROOT, stdout=subprocess.DEVNULL)


def server_env(settings: Settings, dsn: str, llm_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "LLM_", "SECURITY_"))}
    env.update({"DATABASE_URL": dsn, "COMPTOIR_DATA_DIR": str(REPO_ROOT / ".comptoir"),
                "COMPTOIR_QUEUE_PREFIX": settings.queue_prefix, "COMPTOIR_EVENTS_EXCHANGE": settings.events_exchange,
                "LLM_BASE_URL": f"http://127.0.0.1:{llm_port}/v1", "LLM_API_KEY": "bench", "LLM_MODEL": "fake",
                "SECURITY_RATE_LIMITS": NO_LIMITS, "LOG_LEVEL": "WARNING", "LOG_JSON": "true"})
    return env


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "comptoir", *args],
                                cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


async def start_servers(topology: str, settings: Settings, env: dict[str, str], port: int,
                        log: Path) -> list[subprocess.Popen[bytes]]:
    """`up`: everything in one process (development). `split`: one process per service (production)."""
    if topology == "up":
        return [spawn(["up", "--port", str(port)], env, log)]
    from comptoir.up import seed_demo

    pool = await create_pool(settings, min_size=1, max_size=4)
    try:
        await seed_demo(pool, settings, progress=lambda line: None)
    finally:
        await pool.close()
    services = [spawn(["serve", name], env, log) for name in ("security", "rag", "chat")]
    return [*services, spawn(["serve", "gateway", "--port", str(port)], env, log)]


async def warm_up(base: str, timeout: float = 90.0) -> None:
    """Until a turn goes all the way through (each service has consumed its request queue)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < deadline:
            response = await http.post("/v1/chat/messages", json={"message": WARM_UP})
            if response.status_code == 200 and response.json()["mode"] == "llm":
                return
            await asyncio.sleep(0.5)
    raise RuntimeError("no chat turn went through the stack in time")


class Visitors:
    """Each worker is a visitor: a session started by its first turn, continued with its token, over
    its own keep-alive connection (bench/_http.py), asking questions no one asked before in the run.
    Half the turns are streamed (SSE, read whole). A session lasts 4 turns; every other new session is
    a returning visitor (its credential kept, as the widget keeps it), the others a new visitor."""

    SESSION_TURNS = 4

    def __init__(self, http: httpx.AsyncClient, light: Client) -> None:
        self.http = http
        self.light = light
        self.sessions: dict[int, dict[str, str]] = {}
        self.visitors: dict[int, str] = {}
        self.modes: dict[str, int] = {}
        self.kinds: dict[str, int] = {}
        self.stages: dict[str, list[float]] = {}
        self.failures: list[str] = []
        self._questions = iter(QUESTIONS)

    def question(self) -> str:
        try:
            return next(self._questions)
        except StopIteration:
            raise RuntimeError(f"the run asked all {len(QUESTIONS)} distinct questions: fewer --turns") from None

    def _count(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    async def turn(self, w: int, i: int) -> None:
        if i % self.SESSION_TURNS == 0:
            self.sessions.pop(w, None)
            if (i // self.SESSION_TURNS) % 2 == 0:  # a new visitor; else the same visitor returns
                self.visitors.pop(w, None)
        body: dict[str, Any] = {"message": self.question()}
        headers = {}
        if w in self.visitors:
            body["visitor"] = self.visitors[w]
        if w in self.sessions:
            body["session_id"] = self.sessions[w]["id"]
            headers["X-Session-Token"] = self.sessions[w]["token"]
        streamed = (w + i) % 2 == 1
        self._count("streamed" if streamed else "whole")
        if i % self.SESSION_TURNS == 0:  # sessions by who starts them
            self._count("sessions_returning_visitor" if "visitor" in body else "sessions_new_visitor")
        path = "/v1/chat/messages/stream" if streamed else "/v1/chat/messages"
        response = await self.light(w).request("POST", path, body, headers)
        if response.status != 200:  # counted and reported, the run goes on
            self._count(f"failed_{response.status}")
            self.failures.append(f"{response.status} {response.text[:200]}")
            self.sessions.pop(w, None)
            return
        for part in response.headers.get("server-timing", "").split(","):
            stage, _, ms = part.strip().partition(";dur=")
            if ms:
                self.stages.setdefault(stage, []).append(float(ms))
        try:
            reply = _done_event(response.text) if streamed else response.json()
        except RuntimeError as exc:
            self._count("failed_stream")
            self.failures.append(str(exc)[:200])
            self.sessions.pop(w, None)
            return
        self.sessions[w] = {"id": reply["session_id"], "token": reply["session_token"]}
        self.visitors[w] = reply["visitor"]
        mode = reply["mode"] if not reply.get("fallback_reason") else f"{reply['mode']}:{reply['fallback_reason']}"
        self.modes[mode] = self.modes.get(mode, 0) + 1  # a fallback says why the LLM did not answer

    async def stream(self, w: int, i: int) -> float:
        """A streamed turn; returns the time to the first token (ms)."""
        started = time.perf_counter()
        first = 0.0
        async with self.http.stream("POST", "/v1/chat/messages/stream",
                                    json={"message": self.question()}) as response:
            async for line in response.aiter_lines():
                if line.startswith("event: token") and not first:
                    first = (time.perf_counter() - started) * 1000
        return first


def _done_event(text: str) -> dict[str, Any]:
    """A whole SSE stream's `session` event (id, token, visitor) merged with its `done` event (mode)."""
    events: dict[str, dict[str, Any]] = {}
    for block in text.split("\n\n"):
        name, _, rest = block.partition("\n")
        if name in ("event: session", "event: done") and rest.startswith("data: "):
            events[name.removeprefix("event: ")] = json.loads(rest.removeprefix("data: "))
    if "done" not in events or "session" not in events:
        raise RuntimeError(f"stream without its session or done event: {text[-300:]}")
    return {**events["done"], **events["session"]}


async def measure(settings: Settings, base: str, turns: int, levels: tuple[int, ...] = LEVELS) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    light = Client(base)
    assert settings.database_url is not None
    roots = {os.getpid(), *filter(None, [await postmaster_pid(settings.database_url.get_secret_value())])}
    async with RpcClient(settings, source="bench") as rpc, \
            httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        visitors = Visitors(http, light)

        async def echo(w: int, i: int) -> None:
            await rpc.request(Echo.TYPE, Echo(text="ping"), EchoReply, timeout=30)

        async def health(w: int, i: int) -> None:
            response = await light(w).request("GET", "/healthz")
            if response.status != 200:
                raise RuntimeError(f"/healthz answered {response.status}")

        await run_level(visitors.turn, 4, 40)  # warm-up: pools, caches, lazy imports
        for workers in levels:
            count = turns if workers == 1 else max(turns * 2, workers * 10)
            figures[f"broker_rtt_{workers}"] = await run_level(echo, workers, count)
            figures[f"http_rtt_{workers}"] = await run_level(health, workers, count)
            visitors.stages.clear()
            cpu_before = process_cpu_seconds(roots)
            figures[f"http_chat_turn_{workers}"] = await run_level(visitors.turn, workers, count)
            # where the CPU went, per turn: each of our server processes, our Postgres, the fake LLM,
            # the load generator (the shared RabbitMQ serves other runs too: left out)
            figures[f"cpu_ms_per_turn_{workers}"] = cpu_ms_per_turn(
                cpu_before, process_cpu_seconds(roots), figures[f"http_chat_turn_{workers}"]["requests"])
            figures[f"stages_p50_ms_{workers}"] = {stage: round(statistics.median(values), 2)
                                                   for stage, values in visitors.stages.items()}
            print(workers, figures[f"broker_rtt_{workers}"], figures[f"http_rtt_{workers}"],
                  figures[f"http_chat_turn_{workers}"], figures[f"stages_p50_ms_{workers}"],
                  figures[f"cpu_ms_per_turn_{workers}"], flush=True)
        firsts = sorted([await visitors.stream(0, i) for i in range(20)])
        figures["stream_first_token_1"] = {"requests": len(firsts), "p50_ms": round(statistics.median(firsts), 2),
                                           "p99_ms": round(firsts[-1], 2)}
        figures["reply_modes"] = visitors.modes
        figures["turn_kinds"] = visitors.kinds
        figures["failures_first"] = visitors.failures[:5]
        figures["distinct_questions_asked"] = len(QUESTIONS) - sum(1 for _ in visitors._questions)
    await light.aclose()
    return figures


async def main(turns: int, topology: str, levels: tuple[int, ...] = LEVELS) -> None:
    configure_logging("WARNING", json=True)
    llm_port, port = free_port(), free_port()
    llm = start_fake_llm(llm_port)
    log = Path(tempfile.gettempdir()) / f"bench-gateway-{uuid.uuid4().hex[:6]}.log"
    servers: list[subprocess.Popen[bytes]] = []
    base = f"http://127.0.0.1:{port}"
    try:
        async with bench_database() as dsn, contextlib.AsyncExitStack() as stack:
            settings = bench_settings(dsn)
            servers = await start_servers(topology, settings, server_env(settings, dsn, llm_port), port, log)
            await wait_http(f"http://127.0.0.1:{llm_port}/v1/models", llm, 20)
            await wait_http(f"{base}/readyz", servers[-1], 150)
            await warm_up(base)
            pool = await create_pool(settings, min_size=1, max_size=4)
            stack.push_async_callback(pool.close)
            await stack.enter_async_context(echo_app("benchgw").running(settings, pool))
            try:
                figures = await measure(settings, base, turns, levels)
            finally:  # before the database and broker names go
                for server in reversed(servers):
                    server.send_signal(signal.SIGINT)
                    try:
                        await asyncio.to_thread(server.wait, 30)
                    except subprocess.TimeoutExpired:
                        server.kill()
    finally:
        for process in (*servers, llm):
            if process.poll() is None:
                process.kill()
    if "http_chat_turn_1" in figures and "http_chat_turn_50" in figures:  # a partial run is printed only
        report(figures, topology)


def report(figures: dict[str, Any], topology: str) -> None:
    one, fifty = figures["http_chat_turn_1"], figures["http_chat_turn_50"]
    servers = ("one `comptoir up` process" if topology == "up"
               else "one process per service (`comptoir serve security|rag|chat|gateway`)")
    write_result("gateway_chat" if topology == "up" else f"gateway_chat_{topology}", {
        "path": "HTTP POST /v1/chat/messages → gateway → security (rate limit, screen) → chat → rag (MiniLM) "
                "→ fake LLM → guard_output → reply",
        "topology": servers,
        "figures": figures,
        "ratios": {f"chat_vs_broker_p50_{w}": round(figures[f"http_chat_turn_{w}"]["p50_ms"]
                                                    / max(figures[f"broker_rtt_{w}"]["p50_ms"], 0.01), 1)
                   for w in LEVELS if f"http_chat_turn_{w}" in figures},
        "targets": {"p50_1_session_ms": 30, "turns_per_s_50": 120, "p99_50_ms": 500},
        "met": {"p50_1_session": one["p50_ms"] <= 30, "throughput_50": fifty["per_s"] >= 120,
                "p99_50": fifty["p99_ms"] <= 500},
    })


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=100, help="turns at 1 session (more at 10 and 50)")
    parser.add_argument("--topology", choices=("up", "split"), default="up",
                        help="up: all in one process; split: one process per service")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)),
                        help="concurrency levels, comma-separated (a run without 1 and 50 is not recorded)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.turns, arguments.topology, tuple(int(n) for n in arguments.levels.split(","))))
