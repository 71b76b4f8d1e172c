"""From raw HTTP request to an admitted chat turn: parse strictly, check the session, ask security."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from libs.common.events.security import ScreenVerdict
from services.gateway import guard, idempotency
from services.gateway.body import parse_json_body, read_limited
from services.gateway.deps import Gateway, client_ip
from services.gateway.errors import ApiError
from services.gateway.schemas import ChatMessageIn
from services.gateway.sessions import (
    SESSION_PREFIX,
    is_session_id,
    new_session_id,
    session_visitor,
    sign_session,
    token_from_headers,
    verify_session,
    visitor_from,
)


@dataclass
class Turn:
    session_id: str
    session_token: str
    visitor_id: str
    visitor: str  # the signed credential handed back to the browser
    message: str
    locale: str
    ip: str | None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    headers: dict[str, str] = field(default_factory=dict)
    refusal: str | None = None
    flagged: bool = False
    # False when admission failed open (security did not answer): chat must screen the message itself
    screened: bool = True
    timings: dict[str, float] = field(default_factory=dict)  # stage → ms, sent as Server-Timing

    def server_timing(self) -> str:
        return ", ".join(f"{stage};dur={ms:.1f}" for stage, ms in self.timings.items())


def pick_locale(requested: str | None, accept_language: str | None) -> str:
    value = (requested or accept_language or "fr").strip().lower()
    code = value[:2]
    return code if code.isalpha() and len(code) == 2 else "fr"


async def parse_message(request: Request, gw: Gateway) -> ChatMessageIn:
    data = parse_json_body(await read_limited(request, gw.config.max_body_bytes), gw.config.max_body_bytes)
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_request", "the body must be a JSON object like {\"message\": \"…\"}")
    try:
        body = ChatMessageIn.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    if not body.message.strip():
        raise ApiError(400, "empty_message", "the message is empty")
    if len(body.message) > gw.config.max_message_chars:
        raise ApiError(413, "message_too_long",
                       f"the message is longer than {gw.config.max_message_chars} characters")
    return body


def _new_session(gw: Gateway, request_id: uuid.UUID | None) -> str:
    """A new session id; for a retried request (same Idempotency-Key), the same one again."""
    if request_id is None:
        return new_session_id()
    digest = hmac.new(gw.secret.encode(), b"session:" + request_id.bytes, hashlib.sha256).digest()[:16]
    return SESSION_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def session_owner(request: Request, gw: Gateway, session_id: str) -> None:
    """Refuse unless the request carries the token of `session_id` (401 without one, 403 with another)."""
    token = token_from_headers(request.headers.get("authorization"), request.headers.get("x-session-token"))
    if token is None:
        raise ApiError(401, "session_token_required",
                       "send the session token as X-Session-Token or Authorization: Bearer",
                       {"WWW-Authenticate": "Bearer"})
    if not is_session_id(session_id) or not verify_session(gw.secret, session_id, token):
        raise ApiError(403, "foreign_session", "this session token does not open that session")


@contextlib.contextmanager
def _counting_refusals(gw: Gateway) -> Iterator[None]:
    """A 429 from the security checks goes up as it is, counted in the gateway's metrics."""
    try:
        yield
    except ApiError as exc:
        if exc.status == 429:
            gw.metrics.rate_limited.inc()
        raise


async def rate_limit(gw: Gateway, *, session_id: str | None, ip: str | None, route: str) -> dict[str, str]:
    with _counting_refusals(gw):
        return await guard.check_rate(gw.rpc, session_id=session_id, ip=ip, route=route,
                                      timeout=gw.config.security_timeout_s, fail_open=gw.config.fail_open)


async def security_checks(gw: Gateway, body: ChatMessageIn, session_id: str, ip: str | None,
                          locale: str) -> tuple[dict[str, str], ScreenVerdict | None]:
    """Rate limit and screening: one broker round trip to the security service."""
    with _counting_refusals(gw):
        return await guard.admit_turn(gw.rpc, text=body.message, session_id=session_id, ip=ip, locale=locale,
                                      existing_session=body.session_id is not None,
                                      timeout=gw.config.security_timeout_s, fail_open=gw.config.fail_open)


def visitor_of(gw: Gateway, credential: str | None, session_id: str) -> tuple[str, str]:
    """The visitor the credential names; without a valid one, the session's own (every turn of a
    session must share one visitor: its long-term context is kept under the visitor's id)."""
    visitor_id = visitor_from(gw.secret, credential)
    if visitor_id is None or credential is None:
        return session_visitor(gw.secret, session_id)
    return visitor_id, credential


async def admit(request: Request, gw: Gateway) -> Turn:
    body = await parse_message(request, gw)
    if body.session_id is not None:
        session_owner(request, gw, body.session_id)
    request_id = idempotency.request_id_of(request)  # a POST with an Idempotency-Key: stable across retries
    session_id = body.session_id or _new_session(gw, request_id)
    ip = client_ip(request, gw.config.trust_forwarded_for)
    locale = pick_locale(body.locale, request.headers.get("accept-language"))
    started = time.perf_counter()
    headers, verdict = await security_checks(gw, body, session_id, ip, locale)
    security_ms = (time.perf_counter() - started) * 1000
    refusal = guard.refusal_for(verdict, locale)
    if refusal is not None:
        gw.metrics.blocked.inc()
    visitor_id, visitor = visitor_of(gw, body.visitor, session_id)
    return Turn(session_id=session_id, session_token=sign_session(gw.secret, session_id),
                visitor_id=visitor_id, visitor=visitor, message=body.message.strip(), locale=locale, ip=ip,
                headers=headers, refusal=refusal, flagged=verdict is not None and verdict.verdict == "flag",
                screened=verdict is not None,
                timings={"security": security_ms}, **({"request_id": request_id.hex} if request_id else {}))
