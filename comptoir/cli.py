"""`comptoir` command line (the composition root). Core commands, `up` and `serve` live here; each
service adds its own through `services.<name>.cli`.

A service module `services.<name>.cli` may define `register(subparsers)`; service apps are imported
only when a command needs them, so a service's heavy dependencies load only when one of its commands runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import NoReturn

from comptoir.registry import SERVABLE, SERVICE_CLI_MODULES, all_service_apps, service_sources
from libs.common.broker import connect as broker_connect
from libs.common.db import connect, resolve_dsn
from libs.common.embedded_pg import stop_embedded
from libs.common.errors import UsageError
from libs.common.migrate import Migration, migrate, status
from libs.common.serving import run_command
from libs.common.settings import get_settings

Handler = Callable[[argparse.Namespace], Awaitable[int] | int]


def _cmd_migrate(args: argparse.Namespace) -> Awaitable[int]:
    async def run() -> int:
        settings = get_settings()
        conn = await connect(settings)
        try:
            def show(m: Migration) -> None:
                print(f"applying {m.name} …", file=sys.stderr, flush=True)

            applied = await migrate(conn, progress=show)
        finally:
            await conn.close()
        print(f"{len(applied)} migration(s) applied" if applied else "database is up to date")
        return 0

    return run()


def _cmd_status(args: argparse.Namespace) -> Awaitable[int]:
    async def run() -> int:
        conn = await connect(get_settings())
        try:
            states = await status(conn)
        finally:
            await conn.close()
        for state in states:
            mark = "applied " + (state.applied_at or "") if state.applied else "pending"
            print(f"{state.migration.name:60} {mark}")
        pending = sum(not s.applied for s in states)
        print(f"{len(states) - pending} applied, {pending} pending")
        return 0

    return run()


def _cmd_check(args: argparse.Namespace) -> Awaitable[int]:
    """Reach the database and the broker; one line each, exit 1 on the first failure."""

    async def run() -> int:
        settings = get_settings()
        conn = await connect(settings)
        try:
            version = await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()
        print(f"database: ok (PostgreSQL {version})")
        connection = await broker_connect(settings, name="comptoir-check")
        await connection.close()
        print("broker: ok")
        return 0

    return run()


def _cmd_asyncapi(args: argparse.Namespace) -> int:
    from libs.common.asyncapi import build_document

    document = build_document(all_service_apps(), get_settings(), service_sources())
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"AsyncAPI document written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_replay(args: argparse.Namespace) -> Awaitable[int]:
    from libs.common.db import create_pool
    from libs.common.replay import queue_name, replay

    types = _replay_types(args.queue, args.type or [])

    async def run() -> int:
        settings = get_settings()
        pool = await create_pool(settings, min_size=1, max_size=2)
        try:
            count = await replay(
                settings, pool, queue_name(settings, args.queue), types=types,
                since=args.since, progress=lambda n: print(f"\rreplayed {n} events", end="", file=sys.stderr),
            )
        finally:
            await pool.close()
        print(f"\n{count} event(s) replayed into {args.queue}", file=sys.stderr)
        return 0

    return run()


def _replay_types(queue: str, asked: list[str]) -> list[str]:
    """The event types to replay into `queue`: those its consumer subscribes to (all by default)."""
    subscribed = {sub.queue: list(sub.types) for app in all_service_apps() for sub in app.events}
    if queue not in subscribed:
        raise UsageError(f"no service consumes a queue named {queue!r}; event queues: {', '.join(sorted(subscribed))}")
    foreign = [t for t in asked if t not in subscribed[queue]]
    if foreign:
        raise UsageError(f"{queue} does not consume {', '.join(foreign)}; it consumes {', '.join(subscribed[queue])}")
    return asked or subscribed[queue]


def _cmd_db(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.db_command == "url":
        print(resolve_dsn(settings))
        return 0
    if settings.database_url is not None:
        print("DATABASE_URL is set: the embedded server is not in use", file=sys.stderr)
        return 2
    print("embedded Postgres stopped" if stop_embedded(settings.data_dir) else "no embedded Postgres here")
    return 0


async def _cmd_up(args: argparse.Namespace) -> int:
    from comptoir.up import UpOptions, up

    if not 0 < args.port < 65536:
        raise SystemExit(f"comptoir up: invalid --port {args.port}")
    return await up(get_settings(), UpOptions(host=args.host, port=args.port, demo=not args.no_demo))


async def _cmd_serve(args: argparse.Namespace) -> int:
    from comptoir.serve import serve_one

    return await serve_one(get_settings(), args.service, args.host, args.port)


async def _cmd_demo(args: argparse.Namespace) -> int:
    from comptoir.up import prepare_database, seed_demo

    def say(line: str) -> None:
        print(f"comptoir demo: {line}", file=sys.stderr, flush=True)

    pool = await prepare_database(get_settings(), say)  # migrated first, as `up` does
    try:
        await seed_demo(pool, get_settings(), say)
    finally:
        await pool.close()
    return 0


def _register_up_and_serve(sub: argparse._SubParsersAction[Parser]) -> None:
    up = sub.add_parser("up", help="run the gateway and every service in one process (development)")
    up.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    up.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    up.add_argument("--no-demo", action="store_true", help="do not load the demo knowledge base and facts")
    up.set_defaults(handler=_cmd_up)
    serve = sub.add_parser("serve", help="run one service alone")
    serve.add_argument("service", choices=SERVABLE, help="the service to run")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP address (gateway only)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (gateway only)")
    serve.set_defaults(handler=_cmd_serve)
    sub.add_parser("demo", help="load the demo shop (knowledge base, Maison Lumière facts and prompt) where "
                   "nothing is configured yet; what is there is left as is").set_defaults(handler=_cmd_demo)


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (the reason and where to look) instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _version() -> str:
    try:
        return f"comptoir {metadata.version('comptoir')}"
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "comptoir (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="comptoir", description="Comptoir — AI sales assistant. Every command exits with "
                    "0 on success, 2 on bad input or settings, 1 when something it needs fails.")
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("--log-level", default=None, type=str.upper,
                        choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="log level (default LOG_LEVEL, INFO)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(handler=_cmd_migrate)
    sub.add_parser("status", help="show applied and pending migrations").set_defaults(handler=_cmd_status)
    sub.add_parser("check", help="check that the database and the broker are reachable").set_defaults(
        handler=_cmd_check)
    asyncapi = sub.add_parser("asyncapi", help="print the AsyncAPI document of every service")
    asyncapi.add_argument("--out", help="write to this file instead of standard output")
    asyncapi.set_defaults(handler=_cmd_asyncapi)
    replay = sub.add_parser("replay", help="replay the event log into one queue (consumers dedupe)")
    replay.add_argument("queue", help="an event queue without its prefix, e.g. chat.purchases")
    replay.add_argument("--type", action="append",
                        help="only this event type (repeatable; default: every type the queue consumes)")
    replay.add_argument("--since", type=datetime.fromisoformat,
                        help="only events logged since this ISO time, e.g. 2026-12-01T08:00")
    replay.set_defaults(handler=_cmd_replay)
    db = sub.add_parser("db", help="embedded database helpers")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("url", help="print the database DSN (starts the embedded server if needed)")
    db_sub.add_parser("stop", help="stop the embedded server")
    db.set_defaults(handler=_cmd_db)
    _register_up_and_serve(sub)
    for module_name in SERVICE_CLI_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return run_command(lambda: handler(args), args.log_level)


if __name__ == "__main__":
    sys.exit(main())
