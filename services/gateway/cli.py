"""`comptoir up` (everything in one process) and `comptoir serve <service>` (one service alone)."""

from __future__ import annotations

import argparse
from typing import Any

from libs.common.settings import get_settings

SERVABLE = ("gateway", "security", "rag", "chat", "billing", "agents")


def register(subparsers: Any) -> None:
    up = subparsers.add_parser("up", help="run the gateway and every service in one process (development)")
    up.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    up.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    up.add_argument("--no-demo", action="store_true", help="do not load the demo knowledge base and facts")
    up.set_defaults(handler=_up)
    serve = subparsers.add_parser("serve", help="run one service alone")
    serve.add_argument("service", choices=SERVABLE)
    serve.add_argument("--host", default="127.0.0.1", help="HTTP address (gateway only)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (gateway only)")
    serve.set_defaults(handler=_serve)


async def _up(args: argparse.Namespace) -> int:
    from services.gateway.runner import UpOptions, up

    if not 0 < args.port < 65536:
        raise SystemExit(f"comptoir up: invalid --port {args.port}")
    return await up(get_settings(), UpOptions(host=args.host, port=args.port, demo=not args.no_demo))


async def _serve(args: argparse.Namespace) -> int:
    from services.gateway.runner import serve_one

    return await serve_one(get_settings(), args.service, args.host, args.port)
