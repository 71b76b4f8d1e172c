"""Rate limits per session, IP and route through the atomic `check_rate_limit` SQL function (027)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from libs.common.db import Conn
from libs.common.events.security import RateLimitDecision
from services.security import repo
from services.security.config import Limit, RateLimits

Scope = tuple[str, str, Limit]  # (scope name, rate-limit key, limit)


def session_key(session_id: str) -> str:
    return f"sec:session:{session_id}"


def ip_key(ip: str) -> str:
    return f"sec:ip:{ip}"


def route_key(route: str) -> str:
    return f"sec:route:{route}"


def scopes_for(limits: RateLimits, session_id: str | None, ip: str | None, route: str | None,
               wanted: Iterable[str] = ("session", "ip", "route")) -> list[Scope]:
    wanted = set(wanted)
    scopes: list[Scope] = []
    if "session" in wanted and session_id:
        scopes.append(("session", session_key(session_id), limits.session))
    if "ip" in wanted and ip:
        scopes.append(("ip", ip_key(ip), limits.ip))
    if "route" in wanted and route:
        scopes.append(("route", route_key(route), limits.route(route)))
    return scopes


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _decision(scope: str, result: dict[str, Any]) -> RateLimitDecision:
    return RateLimitDecision(
        allowed=bool(result.get("allowed")), limit=int(result.get("limit", 0)),
        remaining=int(result.get("remaining", 0) or 0), retry_after=int(result.get("retry_after", 0) or 0),
        reset_at=_time(result.get("reset_at")), blocked_until=_time(result.get("blocked_until")), scope=scope,
    )


async def check(conn: Conn, scopes: list[Scope]) -> tuple[RateLimitDecision, list[tuple[str, dict[str, Any]]]]:
    """Count one request on every scope; the decision is the refusing scope that frees last, else the
    tightest one. Returns the raw results too (the caller records an incident on a fresh refusal)."""
    if not scopes:
        return RateLimitDecision(allowed=True, limit=0, remaining=0), []
    limits = [(key, limit.max, limit.window_seconds, limit.block_seconds) for _, key, limit in scopes]
    results = await repo.check_rate_limits(conn, limits)
    decisions = [_decision(scope, result) for (scope, _, _), (_, result) in zip(scopes, results, strict=True)]
    refused = [d for d in decisions if not d.allowed]
    if refused:
        return max(refused, key=lambda d: d.retry_after), results
    return min(decisions, key=lambda d: d.remaining), results


def refusals(scopes: list[Scope], results: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    """(scope, once-key) of each refusing scope. The once-key names the window or block the refusal
    falls in, so a flood of refused calls makes one incident, not one per call."""
    return [(scope, f"{key}@{result.get('reset_at')}")
            for (scope, key, _), (_, result) in zip(scopes, results, strict=True) if not result.get("allowed")]
