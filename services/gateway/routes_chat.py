"""The visitor's chat API: a turn (whole or streamed as SSE), a session's history, a reset."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from libs.common.errors import RemoteError, RequestTimeout
from libs.common.logging import get_logger
from services.gateway import chatlink, idempotency
from services.gateway.admission import Turn, admit, rate_limit, session_owner
from services.gateway.deps import Gateway, GatewayDep, client_ip
from services.gateway.errors import RETRYABLE_CODES, ApiError
from services.gateway.schemas import ChatMessageIn, ChatMessageOut, HistoryMessage, ResetOut, SessionHistory

log = get_logger("gateway.chat")
router = APIRouter(prefix="/v1/chat", tags=["chat"])

_BODY_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": ChatMessageIn.model_json_schema()}}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "empty, non-UTF-8 or malformed body"},
    401: {"description": "session token missing"},
    403: {"description": "the token does not open this session"},
    413: {"description": "body or message too large"},
    422: {"description": "invalid fields"},
    429: {"description": "rate limited (see Retry-After)"},
}
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/messages", response_model=ChatMessageOut, openapi_extra=_BODY_DOC, responses=_ERRORS,
             summary="Send a message and get the whole reply")
async def post_message(request: Request, gw: GatewayDep) -> JSONResponse:
    turn = await admit(request, gw)
    reply = None
    if turn.refusal is None:
        started = time.perf_counter()
        reply = await chatlink.run_turn(gw, turn, request.headers.get("user-agent"),
                                        idempotency.request_id_of(request))
        turn.timings["chat"] = (time.perf_counter() - started) * 1000
    gw.metrics.chat_turns.labels(reply.mode if reply else "refused", "ok").inc()
    headers = {**turn.headers, "Server-Timing": turn.server_timing()}
    return JSONResponse(chatlink.reply_body(turn, reply), headers=headers)


@router.post("/messages/stream", openapi_extra=_BODY_DOC, responses={
    **_ERRORS, 200: {"description": "Server-Sent Events: session, token…, citations, done | error",
                     "content": {"text/event-stream": {}}}}, summary="Send a message, stream the reply (SSE)")
async def stream_message(request: Request, gw: GatewayDep) -> StreamingResponse:
    turn = await admit(request, gw)
    events = _stream_events(gw, turn, request.headers.get("user-agent"), idempotency.request_id_of(request))
    headers = {**_SSE_HEADERS, **turn.headers, "Server-Timing": turn.server_timing()}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


async def _stream_events(gw: Gateway, turn: Turn, user_agent: str | None,
                         request_id: uuid.UUID | None = None) -> AsyncIterator[str]:
    yield sse("session", {"session_id": turn.session_id, "session_token": turn.session_token,
                          "visitor": turn.visitor})
    if turn.refusal is not None:
        gw.metrics.chat_turns.labels("refused", "ok").inc()
        yield sse("token", {"text": turn.refusal, "seq": 0})
        yield sse("done", chatlink.reply_body(turn, None))
        return
    gw.metrics.streams.inc()
    try:
        async for event, data in chatlink.stream_turn(gw, turn, user_agent, request_id):
            if event == "done":
                gw.metrics.chat_turns.labels(data.get("mode", "llm"), "ok").inc()
            yield sse(event, data)
    except (RequestTimeout, RemoteError) as exc:
        log.warning("stream_failed", session_id=turn.session_id, error=str(exc))
        gw.metrics.chat_turns.labels("none", "error").inc()
        code = ("upstream_timeout" if isinstance(exc, RequestTimeout)
                else exc.code if exc.code in RETRYABLE_CODES else "upstream_error")
        yield sse("error", {"error": code, "detail": _stream_error_text(turn.locale)})
    finally:
        gw.metrics.streams.dec()


def _stream_error_text(locale: str) -> str:
    if locale == "en":
        return "Sorry, the assistant is not available right now. Please try again in a moment."
    return "Désolé, l'assistant n'est pas disponible pour le moment. Réessayez dans un instant."


async def admit_session_request(request: Request, gw: Gateway, session_id: str, route: str) -> dict[str, str]:
    """Token check, then the rate limit; returns the RateLimit-* headers for the answer."""
    session_owner(request, gw, session_id)
    ip = client_ip(request, gw.config.trust_forwarded_for)
    return await rate_limit(gw, session_id=session_id, ip=ip, route=route)


@router.get("/sessions/{session_id}", response_model=SessionHistory, responses=_ERRORS,
            summary="A session's history (needs its token)")
async def get_session(session_id: str, request: Request, gw: GatewayDep) -> JSONResponse:
    headers = await admit_session_request(request, gw, session_id, "chat.history")
    found = await chatlink.history(gw, session_id)
    if not found.exists:
        raise ApiError(404, "unknown_session", "no conversation with this id")
    body = SessionHistory(session_id=session_id, summary=found.summary, message_count=found.message_count,
                          state=found.state, adviser=found.adviser,
                          messages=[HistoryMessage.model_validate(m.model_dump(mode="json"))
                                    for m in found.messages])
    return JSONResponse(body.model_dump(mode="json"), headers=headers)


@router.post("/sessions/{session_id}/reset", response_model=ResetOut, responses=_ERRORS,
             summary="Forget a session's conversation and entities")
async def reset_session(session_id: str, request: Request, gw: GatewayDep) -> JSONResponse:
    headers = await admit_session_request(request, gw, session_id, "chat.reset")
    result = await chatlink.reset(gw, session_id, idempotency.request_id_of(request))
    if not result.reset:
        raise ApiError(404, "unknown_session", "no conversation with this id")
    return JSONResponse(ResetOut(session_id=session_id, reset=True).model_dump(), headers=headers)
