"""Admission of a visitor request: rate limits, then screening, both answered by the security service."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from libs.common.errors import BrokerUnavailable, RemoteError, RequestTimeout
from libs.common.events.security import CheckRateLimit, RateLimitDecision, ScreenMessage, ScreenVerdict
from libs.common.logging import get_logger
from libs.common.rpc import RpcClient
from services.gateway.errors import ApiError

log = get_logger("gateway.guard")
Scope = Literal["session", "ip", "route"]

REFUSALS = {
    "fr": "Désolé, je ne peux pas répondre à ce message. Je peux en revanche vous aider sur nos produits, "
          "commandes, livraisons ou retours : que puis-je faire pour vous ?",
    "en": "Sorry, I can't help with that message. I'm happy to help with our products, orders, delivery "
          "or returns — what can I do for you?",
}


@dataclass(frozen=True)
class Admission:
    headers: dict[str, str]
    refusal: str | None = None
    verdict: ScreenVerdict | None = None


def rate_limit_headers(decision: RateLimitDecision) -> dict[str, str]:
    reset = decision.retry_after
    if decision.reset_at is not None:
        reset = max(reset, math.ceil((decision.reset_at - datetime.now(UTC)).total_seconds()))
    headers = {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(max(decision.remaining, 0)),
        "RateLimit-Reset": str(max(reset, 0)),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(max(decision.retry_after, 1))
    return headers


def too_many(decision: RateLimitDecision) -> ApiError:
    return ApiError(429, "rate_limited",
                    f"too many requests; retry in {max(decision.retry_after, 1)} s",
                    rate_limit_headers(decision))


def admitted(decision: RateLimitDecision) -> dict[str, str]:
    """The RateLimit-* headers of an admitted request; a refused one raises 429."""
    if not decision.allowed:
        raise too_many(decision)
    return rate_limit_headers(decision)


def _scopes(with_session: bool) -> list[Scope]:
    """A request that starts a session counts only against the IP and route limits."""
    return ["session", "ip", "route"] if with_session else ["ip", "route"]


def unavailable(exc: Exception, fail_open: bool) -> None:
    if isinstance(exc, BrokerUnavailable):  # no service can be reached: 503 broker_unavailable
        raise exc
    log.warning("security_unavailable", error=str(exc), fail_open=fail_open)
    if not fail_open:
        raise ApiError(503, "security_unavailable",
                       "the request could not be checked right now; retry in a moment",
                       {"Retry-After": "5"}) from exc


async def check_rate(rpc: RpcClient, *, session_id: str | None, ip: str | None, route: str,
                     timeout: float, fail_open: bool) -> dict[str, str]:
    request = CheckRateLimit(session_id=session_id, ip=ip, route=route, scopes=_scopes(bool(session_id)))
    try:
        decision = await rpc.request(CheckRateLimit.TYPE, request, RateLimitDecision, timeout=timeout)
    except (RemoteError, RequestTimeout) as exc:
        unavailable(exc, fail_open)
        return {}
    return admitted(decision)


async def admit_turn(rpc: RpcClient, *, text: str, session_id: str, ip: str | None, locale: str,
                     existing_session: bool, timeout: float,
                     fail_open: bool) -> tuple[dict[str, str], ScreenVerdict | None]:
    """Rate limit and screening in one request to security: (RateLimit-* headers, verdict).

    Raises 429 when a limit refuses; a new session (no session id from the visitor yet) counts only
    against the IP and route limits."""
    request = ScreenMessage(text=text, session_id=session_id, ip=ip, route="chat", locale=locale,
                            rate_limit=True, rate_scopes=_scopes(existing_session))
    try:
        verdict = await rpc.request(ScreenMessage.TYPE, request, ScreenVerdict, timeout=timeout,
                                    session_id=session_id)
    except (RemoteError, RequestTimeout) as exc:
        unavailable(exc, fail_open)
        return {}, None
    return ({} if verdict.rate is None else admitted(verdict.rate)), verdict


def refusal_for(verdict: ScreenVerdict | None, locale: str) -> str | None:
    if verdict is None or verdict.verdict != "block":
        return None
    return verdict.safe_reply or REFUSALS.get(locale, REFUSALS["fr"])
