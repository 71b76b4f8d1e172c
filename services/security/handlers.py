"""Request and event handlers of the security service. Each takes its message, the handler context
and the service's dependencies (made at start-up in app.py)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from libs.common.db import Conn
from libs.common.events.security import (
    AdminLogRecorded,
    CheckRateLimit,
    GuardOutput,
    IncidentType,
    OutputVerdict,
    RateLimitDecision,
    ScreenMessage,
    ScreenVerdict,
    SecurityIncidentRecorded,
    Severity,
    Verdict,
)
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from libs.guard import offload
from libs.guard.output_guard import check_output
from libs.guard.screening import Screener, Screening
from services.security import ratelimit, replies, repo
from services.security.config import Escalation, SecuritySettings
from services.security.live import LiveConfig

log = get_logger(__name__)


@dataclass
class Deps:
    settings: SecuritySettings
    screener: Screener
    live: LiveConfig


@dataclass
class Incident:
    type: IncidentType
    severity: Severity
    verdict: Verdict
    session_id: str | None
    ip: str | None
    route: str | None = None
    score: float = 0.0
    signals: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    once: str | None = None  # record at most one incident of this type under this key


@dataclass
class Recorded:
    incident_id: str
    blocked_until: datetime | None


async def record_incident(ctx: HandlerContext, deps: Deps, incident: Incident,
                          escalate: bool = True) -> Recorded | None:
    """Write the incident and its event in one transaction; repeated incidents block session and IP."""
    limits = (await deps.live.get(ctx.pool)).limits.escalation
    details = {"verdict": incident.verdict, "score": incident.score, "signals": incident.signals,
               "route": incident.route, "once": incident.once, **incident.details}
    async with ctx.transaction() as conn:
        if incident.once is not None and not await repo.claim_once(conn, incident.type, incident.once):
            return None
        incident_id = await repo.insert_incident(conn, incident.type, incident.severity, incident.session_id,
                                                 incident.ip, details)
        blocked_until = None
        keys = await _escalation_keys(conn, incident, limits) if escalate and incident.verdict == "block" else []
        if keys:
            blocked_until = await repo.block_keys(conn, keys, limits.block_seconds)
        await ctx.emit(SecurityIncidentRecorded(
            incident_id=incident_id, type=incident.type, severity=incident.severity,
            verdict=incident.verdict, session_id=incident.session_id, ip=incident.ip,
            route=incident.route, score=incident.score, signals=incident.signals,
            escalated=blocked_until is not None, blocked_until=blocked_until,
        ), conn=conn, session_id=incident.session_id, aggregate_id=incident.session_id or incident.ip)
    if blocked_until is not None:
        log.warning("security_escalated", session_id=incident.session_id, ip=incident.ip,
                    blocked_until=blocked_until.isoformat())
    return Recorded(incident_id, blocked_until)


async def _escalation_keys(conn: Conn, incident: Incident, limits: Escalation) -> list[str]:
    """The keys to block after this attack: the session once it sent `incidents` blocked messages within
    the window; its address only once `ip_sessions` distinct sessions behind it did. Flags never count,
    so false alarms on a shared address (office NAT, mobile carrier) block nobody, and one attacking
    session is blocked on its own before its neighbours are."""
    session_attacks, ip_sessions = await repo.count_recent_attacks(conn, incident.session_id, incident.ip,
                                                                   limits.window_seconds)
    keys = []
    if incident.session_id and session_attacks >= limits.incidents:
        keys.append(ratelimit.session_key(incident.session_id))
    if incident.ip and ip_sessions >= limits.ip_sessions:
        keys.append(ratelimit.ip_key(incident.ip))
    return keys


async def check_rate_limit(req: CheckRateLimit, ctx: HandlerContext, deps: Deps) -> RateLimitDecision:
    limits = (await deps.live.get(ctx.pool)).limits
    scopes = ratelimit.scopes_for(limits, req.session_id, req.ip, req.route, req.scopes)
    async with ctx.pool.acquire() as conn:
        decision, results = await ratelimit.check(conn, scopes)
    for scope, once in ratelimit.refusals(scopes, results):
        await record_incident(ctx, deps, Incident(
            "rate_limit", "low", "block", req.session_id, req.ip, req.route, signals=[f"rate_limit:{scope}"],
            details={"retry_after": decision.retry_after}, once=once), escalate=False)
    return decision


async def screen(req: ScreenMessage, ctx: HandlerContext, deps: Deps) -> ScreenVerdict:
    decision = None
    if req.rate_limit:
        decision = await check_rate_limit(
            CheckRateLimit(session_id=req.session_id, ip=req.ip, route=req.route, scopes=req.rate_scopes), ctx, deps)
        if not decision.allowed:
            return ScreenVerdict(
                verdict="block", type="rate_limit", severity="low", score=1.0,
                signals=[f"rate_limit:{decision.scope}"], rate_limited=True, retry_after=decision.retry_after,
                safe_reply=replies.rate_limited(req.locale, decision.retry_after), rate=decision)
    snapshot = await deps.live.get(ctx.pool)
    result = await offload.screen(deps.screener, req.text, snapshot.flags)  # long texts off the loop
    if result.verdict == "allow":
        return _verdict(result, req, rate=decision)
    recorded = await record_incident(ctx, deps, Incident(
        result.type, result.severity, result.verdict, req.session_id, req.ip, req.route, result.score,
        result.signals, details={"excerpt": req.text[:200], "length": len(req.text)}, once=_screen_once(req)))
    return _verdict(result, req, recorded, rate=decision)


def _screen_once(req: ScreenMessage) -> str:
    """The gateway and chat may both screen one message: the same text from the same visitor within
    the same minute is one incident (so it escalates once), while a repeated attack still counts."""
    digest = hashlib.sha256(req.text.encode("utf-8", "replace")).hexdigest()[:16]
    return f"screen:{req.session_id or '-'}:{req.ip or '-'}:{digest}:{int(time.time() // 60)}"


def _verdict(result: Screening, req: ScreenMessage, recorded: Recorded | None = None,
             rate: RateLimitDecision | None = None) -> ScreenVerdict:
    verdict, signals, retry_after = result.verdict, list(result.signals), 0
    if recorded is not None and recorded.blocked_until is not None:
        verdict = "block"
        signals.append("escalated")
        retry_after = max(1, int((recorded.blocked_until - datetime.now(recorded.blocked_until.tzinfo))
                                 .total_seconds()))
    return ScreenVerdict(
        verdict=verdict, type=result.type, severity=result.severity, score=result.score, signals=signals,
        retry_after=retry_after, safe_reply=replies.blocked(req.locale) if verdict == "block" else None,
        incident_id=recorded.incident_id if recorded else None, rate=rate,
    )


async def guard_output(req: GuardOutput, ctx: HandlerContext, deps: Deps) -> OutputVerdict:
    result = check_output(
        req.reply, canary=req.canary, prompt_fingerprint=req.prompt_fingerprint,
        allowed_values=req.allowed_values, secrets=[*req.secrets, *deps.settings.secrets],
        overlap_block=deps.settings.overlap_block,
    )
    if result.verdict == "allow":
        return OutputVerdict(verdict="allow", type="none", severity="low", reply=req.reply)
    recorded = await record_incident(ctx, deps, Incident(
        "disclosure", result.severity, "block", req.session_id, req.ip, "output", 1.0, result.signals),
        escalate=False)
    return OutputVerdict(verdict="block", type="disclosure", severity=result.severity, signals=result.signals,
                         reply=replies.output_blocked(req.locale),
                         incident_id=recorded.incident_id if recorded else None)


async def write_admin_log(event: SecurityIncidentRecorded | AdminLogRecorded, ctx: HandlerContext,
                          deps: Deps) -> None:
    """The admin-log sink: one app_admin_logs row per security incident or forwarded log event."""
    assert ctx.conn is not None
    if isinstance(event, SecurityIncidentRecorded):
        message = f"{event.type} {event.verdict} ({event.severity})" + (" — escalated" if event.escalated else "")
        await repo.insert_admin_log(ctx.conn, "security", "security", event.session_id, message,
                                    event.model_dump(mode="json"))
        return
    metadata = {**event.metadata, "service": event.service}
    await repo.insert_admin_log(ctx.conn, event.level, event.category, event.session_id, event.message, metadata)
