"""Running one service process: the pieces `comptoir serve <name>`, `comptoir up` and
`python -m services.<name>` share, so each of them runs a service the same way.

Nothing here names a service: the caller hands over the `ServiceApp` (or the ASGI app) to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from pydantic import ValidationError

from libs.common import aio, health
from libs.common.aio import settle_heap
from libs.common.errors import ComptoirError, UsageError
from libs.common.logging import configure_logging, get_logger
from libs.common.service import ServiceApp
from libs.common.settings import Settings, get_settings

Progress = Callable[[str], None]
log = get_logger(__name__)


def say(line: str, prefix: str = "comptoir") -> None:
    print(f"{prefix}: {line}", file=sys.stderr, flush=True)


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the caller owns SIGINT/SIGTERM so services stop in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def http_server(app: Any, host: str, port: int) -> QuietServer:
    return QuietServer(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="on"))


def stop_on_signals(server: QuietServer, progress: Progress) -> None:
    loop = asyncio.get_running_loop()

    def stop(sig: signal.Signals) -> None:
        if server.should_exit:
            server.force_exit = True
            return
        progress(f"{sig.name} received: shutting down (again to force)")
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)


async def serve_settled(server: QuietServer) -> None:
    """server.serve(), with the heap settled (libs.common.aio.settle_heap) once it has started."""

    async def settle() -> None:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no start event
            await asyncio.sleep(0.05)
        settle_heap()

    settling = asyncio.create_task(settle())
    try:
        await server.serve()
    finally:
        settling.cancel()


async def serve_http(app: Any, host: str, port: int, progress: Progress, name: str = "gateway") -> int:
    """One ASGI app alone until SIGINT/SIGTERM."""
    server = http_server(app, host, port)
    stop_on_signals(server, progress)
    progress(f"{name} listening on http://{host}:{port}")
    await serve_settled(server)
    return 0


async def serve_service(settings: Settings, svc: ServiceApp, progress: Progress) -> int:
    """One service alone (its own pool, consumers and outbox relay) until SIGINT/SIGTERM."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    async with health.serving(settings) as (probe, port):
        if port is not None:
            progress(f"{svc.name}: /healthz /readyz /metrics on port {port}")
        async with svc.running(settings) as ctx:
            probe.watch(health.service_checks(ctx.pool))
            settle_heap()
            progress(f"{svc.name} running; Ctrl-C to stop")
            await stopping.wait()
            probe.stopping()  # unready while it drains
    progress(f"{svc.name} stopped")
    return 0


def run_command(command: Callable[[], Awaitable[int] | int], log_level: str | None = None) -> int:
    """Run one command as the CLI does: settings checked first (one line, exit 2), logging configured,
    coroutines on the chosen event loop, `ComptoirError` as one line with exit 1, Ctrl-C as 130."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"comptoir: error: invalid settings: {settings_problems(exc)}", file=sys.stderr)
        return 2
    configure_logging(log_level or settings.log_level, settings.log_json)
    try:
        result: Any = command()
        if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
            result = aio.run(result)
        return int(result or 0)
    except UsageError as exc:
        print(f"comptoir: error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # a service's own settings (GATEWAY_*, RAG_*, …), read by the command
        print(f"comptoir: error: invalid settings: {settings_problems(exc)}", file=sys.stderr)
        return 2
    except ComptoirError as exc:
        print(f"comptoir: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback: one line (the traceback at --log-level DEBUG)
        log.debug("command_failed", exc_info=True)
        reason = str(exc).splitlines()[0][:300] if str(exc) else ""
        print(f"comptoir: error: {type(exc).__name__}{': ' + reason if reason else ''} "
              "(--log-level DEBUG shows the traceback)", file=sys.stderr)
        return 1


def settings_problems(exc: ValidationError) -> str:
    """One line: each invalid setting with its reason."""
    problems = []
    for error in exc.errors():
        reason = str(error["msg"]).removeprefix("Value error, ")
        where = ".".join(str(part) for part in error.get("loc", ()))
        problems.append(reason if not where or where.upper() in reason.upper() else f"{where}: {reason}")
    return "; ".join(problems)


def main_for_service(load: Callable[[], ServiceApp]) -> int:
    """`python -m services.<name>`: the service alone, exactly as `comptoir serve <name>` runs it."""

    def command() -> Awaitable[int]:
        svc = load()
        return serve_service(get_settings(), svc, say)

    return run_command(command)
