"""`comptoir maintenance run [--service S]… [--json]`: every service prunes its expired rows now.

Asks each running service `<service>.maintenance.prune` (libs/common/maintenance.py), prints one line
per service with the rows each job deleted, and logs the counts to app_admin_logs like the daily
built-in workflows do. Exit 0 when every service answered without error, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from libs.common.db import create_pool
from libs.common.errors import UsageError
from libs.common.rpc import RpcClient
from libs.common.settings import get_settings
from services.workflows import maintenance


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("maintenance", help="scheduled maintenance (pruning expired rows)")
    sub = parser.add_subparsers(dest="maintenance_command", required=True)
    run = sub.add_parser("run", help="ask every service to prune its expired rows now and print the counts")
    run.add_argument("--service", action="append", dest="services", metavar="S",
                     help=f"only this service (repeatable; default all: {', '.join(maintenance.SERVICES)})")
    run.add_argument("--json", action="store_true", help="one JSON object per service")
    run.set_defaults(handler=run_command)


async def run_command(args: argparse.Namespace) -> int:
    services = tuple(args.services or maintenance.SERVICES)
    unknown = sorted(set(services) - set(maintenance.SERVICES))
    if unknown:
        raise UsageError(f"unknown service {', '.join(unknown)}; known: {', '.join(maintenance.SERVICES)}")
    settings = get_settings()
    pool = await create_pool(settings, min_size=1, max_size=2)
    try:
        async with RpcClient(settings, source="cli") as rpc:
            reports = await maintenance.run_all(rpc, pool, services, trigger="cli")
    finally:
        await pool.close()
    for report in reports:
        if args.json:
            print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        else:
            print(maintenance.summary(report))
    return 1 if any(r.errors for r in reports) else 0
