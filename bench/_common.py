"""Helpers shared by the benchmarks: a throw-away database and broker names, result files."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from libs.common.embedded_pg import embedded_dsn, stop_embedded
from libs.common.messages import Message, message_type
from libs.common.migrate import migrate
from libs.common.service import HandlerContext, ServiceApp
from libs.common.settings import Settings

RESULTS = Path(__file__).parent / "results"


@asynccontextmanager
async def bench_database(migrated: bool = True) -> AsyncIterator[str]:
    """A migrated database on a fresh embedded server (or on DATABASE_URL's server)."""
    external = os.environ.get("DATABASE_URL")
    data_dir = None
    if external:
        server = external
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="comptoir-bench-"))
        server = embedded_dsn(data_dir)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    dsn = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    try:
        if migrated:
            c = await asyncpg.connect(dsn)
            await migrate(c)
            await c.close()
        yield dsn
    finally:
        conn = await asyncpg.connect(server)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
        await _delete_bench_broker_names()
        if data_dir is not None:
            stop_embedded(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)


async def _delete_bench_broker_names() -> None:
    from tests.conftest import delete_broker_names

    for prefix in _PREFIXES:
        await delete_broker_names(os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"), prefix)
    _PREFIXES.clear()


_PREFIXES: list[str] = []


def bench_settings(dsn: str, **extra: Any) -> Settings:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    _PREFIXES.append(prefix)
    values: dict[str, Any] = {
        "DATABASE_URL": dsn, "COMPTOIR_QUEUE_PREFIX": prefix,
        "COMPTOIR_EVENTS_EXCHANGE": f"{prefix}events", "LOG_LEVEL": "WARNING",
    }
    values.update(extra)
    return Settings(**values)


def write_result(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_1m": round(os.getloadavg()[0], 2)},
        **figures,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(payload, indent=2, ensure_ascii=False))
    return path


@message_type("bench.echo")
class Echo(Message):
    text: str


@message_type("bench.echo.reply")
class EchoReply(Message):
    text: str


def echo_app(name: str = "bench") -> ServiceApp:
    """A request handler that does nothing: the bare broker round trip baseline."""
    app = ServiceApp(name, run_relay=False)

    @app.on_request("bench.echo", prefetch=128)
    async def echo(req: Echo, ctx: HandlerContext) -> EchoReply:
        return EchoReply(text=req.text)

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def run_level(call: Callable[[int, int], Awaitable[None]], workers: int, total: int) -> dict[str, float]:
    """`workers` concurrent callers, `total` calls in all, each caller's next call as soon as its last
    returned (a closed loop). The callers start at the same instant, a burst a steady load does not
    have: p50/p99 count the calls started once every caller's first call has returned (the steady
    state); `p99_ms_with_start` counts them all. Throughput and CPU are over the whole run."""
    calls: list[tuple[float, float]] = []  # (started, latency ms)
    first_done: list[float] = []
    per_worker = max(1, total // workers)

    async def worker(w: int) -> None:
        for i in range(per_worker):
            started = time.perf_counter()
            await call(w, i)
            ended = time.perf_counter()
            calls.append((started, (ended - started) * 1000))
            if i == 0:
                first_done.append(ended)

    started, cpu_before = time.perf_counter(), os.times()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    elapsed, cpu_after = time.perf_counter() - started, os.times()
    cpu_s = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    everything = sorted(latency for _, latency in calls)
    ramped_up = max(first_done)
    steady = sorted(latency for at, latency in calls if at >= ramped_up) or everything
    return {
        "requests": len(calls),
        "per_s": round(len(calls) / elapsed, 1),
        "p50_ms": round(statistics.median(steady), 2),
        "p99_ms": _p99(steady),
        "p99_ms_with_start": _p99(everything),
        "steady_requests": len(steady),
        # CPU of this process (every service running in it) per request, and in cores used
        "cpu_ms_per_request": round(cpu_s * 1000 / len(calls), 2),
        "cpu_cores": round(cpu_s / elapsed, 2),
    }


def _p99(ordered: list[float]) -> float:
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2)


def process_cpu_seconds(roots: Iterable[int] | None = None) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the processes that serve a chat turn, grouped:
    each `comptoir` command by its arguments, each `python -m services.<name>`, the fake LLM,
    Postgres (all its processes) and RabbitMQ. Linux /proc only; elsewhere an empty dict.

    With `roots`, only those processes and their descendants count (on a machine shared with other
    runs, their `comptoir` processes and the shared RabbitMQ are left out), and the calling process
    is its own group, "load generator"."""
    groups: dict[str, float] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return groups
    tick = os.sysconf("SC_CLK_TCK")
    rows: dict[int, tuple[int, float, list[str]]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            raw = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        rows[int(entry.name)] = (int(fields[1]), seconds, [a.decode(errors="replace") for a in raw if a])
    wanted = set(roots) if roots is not None else None
    for pid, (_, seconds, argv) in rows.items():
        if wanted is not None:
            if pid == os.getpid():
                groups["load generator"] = groups.get("load generator", 0.0) + seconds
                continue
            if not _descends(pid, wanted, rows):
                continue
        group = _group_of(argv)
        if group is not None:
            groups[group] = groups.get(group, 0.0) + seconds
    return groups


def _descends(pid: int, roots: set[int], rows: dict[int, tuple[int, float, list[str]]]) -> bool:
    seen = 0
    while pid > 1 and seen < 64:
        if pid in roots:
            return True
        pid = rows[pid][0] if pid in rows else 0
        seen += 1
    return False


async def postmaster_pid(dsn: str) -> int | None:
    """The pid of the Postgres server behind `dsn` (its data folder's postmaster.pid), when it runs here."""
    conn = await asyncpg.connect(dsn)
    try:
        folder = await conn.fetchval("SELECT setting FROM pg_settings WHERE name = 'data_directory'")
    finally:
        await conn.close()
    try:
        text = await asyncio.to_thread(Path(str(folder), "postmaster.pid").read_text)
    except OSError:
        return None
    return int(text.split()[0])


def _group_of(argv: list[str]) -> str | None:
    text = " ".join(argv)
    module = argv[argv.index("-m") + 1] if "-m" in argv[:-1] else ""
    if module == "comptoir":
        after = argv[argv.index("-m") + 2:]
        return "comptoir " + " ".join(a for a in after[:2] if not a.startswith("-"))
    if module.startswith("services."):
        return "python -m " + module
    if "tests.fakes.llm_server" in text:
        return "fake LLM"
    if argv and Path(argv[0]).name.startswith("postgres"):
        return "postgres"
    if argv and "beam" in Path(argv[0]).name:
        return "rabbitmq"
    return None


def cpu_ms_per_turn(before: dict[str, float], after: dict[str, float], turns: int) -> dict[str, float]:
    """Per group, CPU milliseconds per turn between two process_cpu_seconds() readings."""
    per_turn = {group: round((after[group] - before.get(group, 0.0)) * 1000 / max(turns, 1), 2)
                for group in after}
    return dict(sorted(((g, v) for g, v in per_turn.items() if v > 0), key=lambda item: -item[1]))
