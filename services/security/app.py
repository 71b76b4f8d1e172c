"""Wiring of the security service: requests security.screen / check_rate_limit / guard_output, the
admin-log sink, and the resources made at start-up (screener with its optional ONNX classifier)."""

from __future__ import annotations

from libs.common.events.security import (
    AdminLogRecorded,
    CheckRateLimit,
    GuardOutput,
    OutputVerdict,
    RateLimitDecision,
    ScreenMessage,
    ScreenVerdict,
    SecurityIncidentRecorded,
)
from libs.common.service import HandlerContext, ServiceApp
from services.security import handlers, incidents
from services.security.config import SecuritySettings
from services.security.live import LiveConfig

svc = ServiceApp("security")


def build_deps(settings: SecuritySettings) -> handlers.Deps:
    return handlers.Deps(settings, settings.screener(), LiveConfig(settings.rate_limits, settings.config_ttl_s))


def _deps(ctx: HandlerContext) -> handlers.Deps:
    deps: handlers.Deps = ctx.deps["security"]
    return deps


@svc.on_startup
async def start(ctx: HandlerContext) -> None:
    if "security" not in ctx.deps:  # tests may hand in their own
        ctx.deps["security"] = build_deps(SecuritySettings())


@svc.on_request("security.screen")
async def screen(req: ScreenMessage, ctx: HandlerContext) -> ScreenVerdict:
    return await handlers.screen(req, ctx, _deps(ctx))


@svc.on_request("security.check_rate_limit")
async def check_rate_limit(req: CheckRateLimit, ctx: HandlerContext) -> RateLimitDecision:
    return await handlers.check_rate_limit(req, ctx, _deps(ctx))


@svc.on_request("security.guard_output")
async def guard_output(req: GuardOutput, ctx: HandlerContext) -> OutputVerdict:
    return await handlers.guard_output(req, ctx, _deps(ctx))


@svc.on_event("security.incident.recorded", "admin.log.recorded", queue="security.admin_log")
async def admin_log(event: SecurityIncidentRecorded | AdminLogRecorded, ctx: HandlerContext) -> None:
    await handlers.write_admin_log(event, ctx)
# the owner console resolves incidents (services/security/incidents.py)
svc.on_request("security.resolve_incident")(incidents.resolve)
