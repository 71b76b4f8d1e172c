"""Scheduled maintenance: every service answers `<service>.maintenance.prune` for its own rows.

No service deletes another's rows. Each `ServiceApp` gets the request at construction
(libs/common/service.py calls `install`) with two platform jobs:
- `inbox`: its consumers' `app_inbox` rows processed more than `inbox_retention_days` ago;
- `request_log`: its `app_request_log` rows (libs/common/requestlog.py) completed more than
  `request_log_retention_days` ago, and runs abandoned for over a day;
and a service adds its own tables' jobs in `services/<svc>/maintenance.py`:

    @prune_job(svc, "chat_sessions")
    async def prune_sessions(conn: Conn, ctx: HandlerContext, req: MaintenancePrune) -> int: ...

A job returns how many rows it deleted; each job runs in its own transaction, so one failing job (its
error is in the report) does not keep the others from running. The workflows service runs the
requests as built-in daily workflows (services/workflows/maintenance.py) and logs the counts to
`app_admin_logs`; `comptoir maintenance run` runs them all now.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import Field

from libs.common.db import Conn
from libs.common.logging import get_logger
from libs.common.messages import Message, message_type, registry

if TYPE_CHECKING:
    from libs.common.service import HandlerContext, ServiceApp

log = get_logger(__name__)
SUFFIX = "maintenance.prune"
PRUNE_INBOX = """
DELETE FROM app_inbox WHERE consumer = ANY($1::text[]) AND processed_at < NOW() - ($2 * INTERVAL '1 day')
"""
PRUNE_REQUEST_LOG = """
DELETE FROM app_request_log
WHERE service = $1
  AND ((status = 'done' AND created_at < NOW() - ($2 * INTERVAL '1 day'))
       OR (status = 'running' AND lease_until < NOW() - INTERVAL '1 day'))
"""


class MaintenancePrune(Message):
    """Delete this service's expired rows. `jobs`: only these (None: every job of the service)."""

    jobs: list[str] | None = None
    inbox_retention_days: int = Field(7, ge=1, le=3650)
    # above the longest time a client may retry a request (days, not minutes)
    request_log_retention_days: int = Field(7, ge=1, le=3650)
    # a job's own retention when the caller overrides it (e.g. {"chat_sessions": 30}); else its config's
    retention_days: dict[str, int] = {}


@message_type("maintenance.report")
class MaintenanceReport(Message):
    service: str
    counts: dict[str, int] = {}  # job → rows deleted
    errors: dict[str, str] = {}  # job → why it failed
    duration_ms: int = 0


PruneFn = Callable[[Conn, "HandlerContext", MaintenancePrune], Awaitable[int]]
_JOBS: weakref.WeakKeyDictionary[Any, dict[str, PruneFn]] = weakref.WeakKeyDictionary()
_MODELS: dict[str, type[MaintenancePrune]] = {}


def request_type(service: str) -> str:
    return f"{service}.{SUFFIX}"


def prune_model(service: str) -> type[MaintenancePrune]:
    """The request model registered under `<service>.maintenance.prune` (made once per service)."""
    model = _MODELS.get(service)
    if model is None:
        name = "".join(part.capitalize() for part in service.split("_")) + "MaintenancePrune"
        existing = registry().get(request_type(service))
        if existing is not None and issubclass(existing, MaintenancePrune):
            model = existing
        else:
            model = message_type(request_type(service))(
                type(name, (MaintenancePrune,), {"__module__": __name__, "__qualname__": name,
                                                 "__doc__": MaintenancePrune.__doc__}))
        _MODELS[service] = model
    return model


def prune_request(service: str, **fields: Any) -> MaintenancePrune:
    return prune_model(service)(**fields)


def jobs_of(svc: ServiceApp[Any]) -> dict[str, PruneFn]:
    return _JOBS.setdefault(svc, {})


def prune_job(svc: ServiceApp[Any], name: str) -> Callable[[PruneFn], PruneFn]:
    """Register `async def job(conn, ctx, req) -> deleted rows` under `name` for `svc`'s prune request."""
    def register(fn: PruneFn) -> PruneFn:
        jobs = jobs_of(svc)
        if name in jobs:
            raise ValueError(f"{svc.name}: maintenance job {name!r} registered twice")
        jobs[name] = fn
        return fn
    return register


def retention(req: MaintenancePrune, job: str, default: int) -> int:
    """The retention in days a job uses: the caller's override, else its configured `default`."""
    return max(1, int(req.retention_days.get(job, default)))


def deleted(status: str) -> int:
    """The row count of an asyncpg command status such as `DELETE 12`."""
    try:
        return int(status.split()[-1])
    except (ValueError, IndexError):
        return 0


def install(svc: ServiceApp[Any]) -> None:
    """Give `svc` its `<service>.maintenance.prune` request with the platform jobs (called by ServiceApp)."""
    model = prune_model(svc.name)
    jobs = jobs_of(svc)

    async def inbox(conn: Conn, ctx: HandlerContext, req: MaintenancePrune) -> int:
        consumers = sorted({sub.queue for sub in svc.events})
        if not consumers:
            return 0
        return deleted(await conn.execute(PRUNE_INBOX, consumers, req.inbox_retention_days))

    async def request_log(conn: Conn, ctx: HandlerContext, req: MaintenancePrune) -> int:
        return deleted(await conn.execute(PRUNE_REQUEST_LOG, svc.name, req.request_log_retention_days))

    jobs["inbox"] = inbox
    jobs["request_log"] = request_log

    async def prune(req: MaintenancePrune, ctx: HandlerContext, _: Any) -> MaintenanceReport:
        started = time.perf_counter()
        unknown = sorted(set(req.jobs or []) - set(jobs))
        counts: dict[str, int] = {}
        errors: dict[str, str] = {name: "no such maintenance job" for name in unknown}
        for name, job in list(jobs.items()):
            if req.jobs is not None and name not in req.jobs:
                continue
            try:
                async with ctx.pool.acquire() as conn, conn.transaction():
                    counts[name] = int(await job(conn, ctx, req))
            except Exception as exc:
                errors[name] = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("maintenance_job_failed", service=svc.name, job=name, error=errors[name])
        report = MaintenanceReport(service=svc.name, counts=counts, errors=errors,
                                   duration_ms=int((time.perf_counter() - started) * 1000))
        log.info("maintenance_pruned", service=svc.name, counts=counts, errors=len(errors),
                 duration_ms=report.duration_ms)
        return report

    prune.__name__ = f"prune_{svc.name}"
    svc.on_request(model.TYPE, prefetch=1,
                   idempotent="deletes expired rows only: a repeat finds fewer or none")(prune)
