"""Scheduled maintenance as workflows: the `maintenance` step asks a service to prune its own rows.

Each service answers `<service>.maintenance.prune` (libs/common/maintenance.py) for its tables: the
inbox and request log of every service, plus chat's expired sessions (`chat_config.sessionTtlDays`),
agents' events (`event_retention_days` in app_agent_config), billing's expired product cache, security's
stale rate-limit rows and the gateway's idempotency keys. The built-in workflows `maintenance-<service>`
(seeded by migration 080, daily, the owner may change their cron, retention or turn them off) run one
`maintenance` step each; `comptoir maintenance run` runs every one now. Every run's counts go to
`app_admin_logs` (category `maintenance`) as an `admin.log.recorded` event, which the security
service (the table's owner) writes.

Step config: `{"service": "chat", "jobs": null, "retention_days": {"chat_sessions": 30},
"inbox_retention_days": 7, "request_log_retention_days": 7}`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from libs.common.db import Conn
from libs.common.errors import RemoteError, RequestTimeout
from libs.common.events.security import AdminLogRecorded
from libs.common.logging import get_logger
from libs.common.maintenance import (
    MaintenancePrune,
    MaintenanceReport,
    deleted,
    prune_job,
    prune_request,
    request_type,
    retention,
)
from libs.common.outbox import add_event
from libs.common.rpc import RpcClient
from libs.common.service import HandlerContext, ServiceApp
from services.workflows.config import WorkflowsSettings
from services.workflows.steps.base import StepCall, StepFailed, StepRegistry, StepResult, StepType

log = get_logger(__name__)
# every service that answers `<service>.maintenance.prune`, in the order `comptoir maintenance run` asks
SERVICES = ("chat", "agents", "billing", "security", "rag", "workflows", "gateway")
PRUNE_TIMEOUT_S = 120.0


class MaintenanceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    jobs: list[str] | None = None
    retention_days: dict[str, int] = {}
    inbox_retention_days: int = Field(7, ge=1, le=3650)
    request_log_retention_days: int = Field(7, ge=1, le=3650)
    timeout_s: float = Field(PRUNE_TIMEOUT_S, gt=0, le=3600)


def summary(report: MaintenanceReport) -> str:
    counts = ", ".join(f"{job}={n}" for job, n in sorted(report.counts.items())) or "nothing to prune"
    errors = "; ".join(f"{job}: {why}" for job, why in sorted(report.errors.items()))
    return f"maintenance {report.service}: {counts}" + (f" — errors: {errors}" if errors else "")


async def prune(rpc: RpcClient, cfg: MaintenanceConfig, request_id: Any = None) -> MaintenanceReport:
    """Ask `cfg.service` to prune; a service that does not answer is a report with the error."""
    body = prune_request(cfg.service, jobs=cfg.jobs, retention_days=cfg.retention_days,
                         inbox_retention_days=cfg.inbox_retention_days,
                         request_log_retention_days=cfg.request_log_retention_days)
    try:
        return await rpc.request(request_type(cfg.service), body, MaintenanceReport, timeout=cfg.timeout_s,
                                 request_id=request_id)
    except RemoteError as exc:
        return MaintenanceReport(service=cfg.service, errors={"request": f"{exc.code}: {exc.message}"})
    except RequestTimeout:
        return MaintenanceReport(service=cfg.service, errors={"request": f"no answer in {cfg.timeout_s:g} s"})


async def record(pool: asyncpg.Pool, report: MaintenanceReport, trigger: str) -> None:
    """The run's counts to app_admin_logs, through this service's outbox (security writes the row)."""
    entry = AdminLogRecorded(level="warn" if report.errors else "info", category="maintenance",
                             service="workflows", message=summary(report)[:4000],
                             metadata={"target": report.service, "counts": report.counts,
                                       "errors": report.errors, "duration_ms": report.duration_ms,
                                       "trigger": trigger})
    async with pool.acquire() as conn, conn.transaction():
        await add_event(conn, entry, source="workflows", aggregate_id=f"maintenance:{report.service}")


async def run_all(rpc: RpcClient, pool: asyncpg.Pool, services: tuple[str, ...] = SERVICES,
                  trigger: str = "cli") -> list[MaintenanceReport]:
    """Every service's prune at once; each report logged to app_admin_logs."""
    reports = await asyncio.gather(*(prune(rpc, MaintenanceConfig(service=name)) for name in services))
    for report in reports:
        await record(pool, report, trigger)
    return list(reports)


@dataclass
class _Holder:
    pool: asyncpg.Pool | None = None


def step_type(holder: _Holder) -> StepType:
    async def run(call: StepCall) -> StepResult:
        cfg: MaintenanceConfig = call.config
        report = await prune(call.env.rpc, cfg)
        if holder.pool is not None:
            await record(holder.pool, report, f"workflow:{call.workflow}")
        if report.errors:
            raise StepFailed(summary(report), retryable=True)  # pruning again deletes nothing twice
        return StepResult(output={"service": report.service, "counts": report.counts,
                                  "deleted": sum(report.counts.values()), "duration_ms": report.duration_ms})

    return StepType("maintenance", MaintenanceConfig, run, "idempotent",
                    "Ask a service to prune its own expired rows (`service`, `jobs`, `retention_days`); "
                    "the counts go to the admin log.", raw_fields=frozenset({"jobs", "retention_days"}))


PRUNE_RUNS = """
DELETE FROM app_workflow_runs
WHERE status IN ('completed', 'failed') AND finished_at < NOW() - ($1 * INTERVAL '1 day')
"""


def register(svc: ServiceApp[Any], steps: StepRegistry | None = None) -> StepType:
    """The `maintenance` step type for the engine's registry (services/workflows/app.py), and the
    workflows service's own job: finished runs (their step attempts go with them) older than
    `WORKFLOWS_RUN_RETENTION_DAYS`."""
    holder = _Holder()

    @prune_job(svc, "workflow_runs")
    async def prune_runs(conn: Conn, ctx: HandlerContext, req: MaintenancePrune) -> int:
        runtime = ctx.deps.get("_workflows_runtime")
        cfg = getattr(runtime, "cfg", None)
        if not isinstance(cfg, WorkflowsSettings):
            cfg = WorkflowsSettings()
        default = cfg.run_retention_days
        return deleted(await conn.execute(PRUNE_RUNS, retention(req, "workflow_runs", default)))

    async def start(ctx: HandlerContext) -> None:
        holder.pool = ctx.pool

    svc.on_startup(start)
    step = step_type(holder)
    if steps is not None:
        steps.register(step)
    log.debug("maintenance_step_registered", service=svc.name)
    return step
