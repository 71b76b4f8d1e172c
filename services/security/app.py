"""Wiring of the security service: requests security.screen / check_rate_limit / guard_output, the
admin-log sink, and the resources made at start-up (screener with its optional ONNX classifier).

The handlers live in handlers.py and take (message, ctx, deps); tests may hand in their own deps as
`running(deps={"security": Deps(...)})`.
"""

from __future__ import annotations

from libs.common.flags import FlagWatcher
from libs.common.service import HandlerContext, ServiceApp
from services.security import handlers, incidents, maintenance
from services.security.config import SecuritySettings
from services.security.live import LiveConfig


def build_deps(settings: SecuritySettings) -> handlers.Deps:
    return handlers.Deps(settings, settings.screener(), LiveConfig(settings.rate_limits, settings.config_ttl_s))


async def start(ctx: HandlerContext) -> handlers.Deps:
    given: handlers.Deps | None = ctx.deps.get("security")
    deps = given if given is not None else build_deps(SecuritySettings())
    flags = FlagWatcher(ctx.settings, ctx.pool, deps.settings.flags_poll_s)  # the platform's one flag watcher
    await flags.start()
    deps.live.watch(flags)
    return deps


async def stop(deps: handlers.Deps) -> None:
    await deps.live.stop()


# Screening and the output guard write incidents, and the rate-limit check writes counters; none is
# claimed by request id (each is on every turn's path). A repeat only happens on a broker
# redelivery after a crash, and is harmless: see the reasons below.
svc = ServiceApp("security", deps=start, close=stop)
maintenance.register(svc)  # stale rate-limit rows in `security.maintenance.prune`
svc.on_request("security.screen", idempotent=(
    "incidents are recorded once per message and visitor (handlers._screen_once); a repeated rate-limit "
    "check counts one more hit"))(handlers.screen)
svc.on_request("security.check_rate_limit", idempotent=(
    "a repeated check counts one more hit in a window that only bounds the rate; refusal incidents are "
    "recorded once per window (ratelimit.refusals)"))(handlers.check_rate_limit)
svc.on_request("security.guard_output", idempotent=(
    "a repeated check of the same reply records at most one more disclosure incident, never an escalation"
    ))(handlers.guard_output)
svc.on_event("security.incident.recorded", "admin.log.recorded", queue="security.admin_log")(
    handlers.write_admin_log)
# the owner console resolves incidents (services/security/incidents.py)
svc.on_request("security.resolve_incident", idempotent=(
    "resolving twice keeps the first resolution: its time and note are set once (incidents.RESOLVE)"))(
    incidents.resolve)
