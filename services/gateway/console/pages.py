"""Console pages: login, conversations (live list, transcript, takeover, replies), the live stream.

Every page needs a login session; owner-only pages answer 403 to an adviser. Every POST checks the
session's CSRF token. Conversations are chat's: the console asks chat over the broker.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from libs.common.errors import RemoteError, RequestTimeout
from libs.common.events.chat import (
    Conversation,
    ConversationChanged,
    ConversationList,
    ConversationState,
    GetConversation,
    HandBackConversation,
    ListConversations,
    PostHumanMessage,
    TakeOverConversation,
)
from libs.common.logging import get_logger
from services.gateway.console import audit, auth, users
from services.gateway.console.live import LiveEvent
from services.gateway.console.render import page
from services.gateway.deps import Gateway, GatewayDep, client_ip
from services.gateway.sessions import is_session_id

log = get_logger("gateway.console")
router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE_SIZE = 50
STATES: tuple[ConversationState, ...] = ("bot", "waiting_human", "human")
KEEPALIVE_S = 10.0
# A live stream ends after this long and the client reconnects: a server shutting down (which waits
# for open responses) is never held up for longer, and no stream outlives a revoked login for long.
STREAM_MAX_S = 25.0


# ---- login ---------------------------------------------------------------------------------------
@router.get("")
@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/admin/conversations", status_code=303)


def login_page(request: Request, gw: Gateway, *, error: str | None = None, email: str = "",
                status: int = 200, next_path: str | None = None) -> HTMLResponse:
    pre = auth.pre_token(request)
    reason = request.query_params.get("reason")
    response = page(request, "login.html", None, status=status, error=error, email=email,
                    login_csrf=auth.login_csrf(gw, pre), expired=reason == "expired",
                    next_path=auth.safe_next(next_path or request.query_params.get("next")))
    response.set_cookie(auth.PRE_COOKIE, pre, max_age=3600, httponly=True, samesite="strict",
                        secure=auth.secure_cookies(gw), path="/admin")
    return response


@router.get("/login")
async def login_form(request: Request, gw: GatewayDep) -> Response:
    return login_page(request, gw)


@router.post("/login")
async def login(request: Request, gw: GatewayDep, email: Annotated[str, Form(max_length=300)] = "",
                password: Annotated[str, Form(max_length=1024)] = "",
                csrf: Annotated[str, Form(max_length=200)] = "",
                next_path: Annotated[str, Form(alias="next", max_length=500)] = "") -> Response:
    t_next = auth.safe_next(next_path)
    if not auth.check_login_csrf(request, gw, csrf):
        return login_page(request, gw, error="expired", email=email, status=403, next_path=t_next)
    if not email.strip() or not password:
        return login_page(request, gw, error="required", email=email, status=422, next_path=t_next)
    try:
        decision = await auth.login_rate(request, gw, email)
    except (RequestTimeout, RemoteError):
        return login_page(request, gw, error="security_down", email=email, status=503, next_path=t_next)
    if not decision.allowed:
        response = login_page(request, gw, error=f"rate_limited:{decision.retry_after}", email=email,
                               status=429, next_path=t_next)
        response.headers["Retry-After"] = str(max(1, decision.retry_after))
        return response
    user = await users.authenticate(gw.pool, email, password)
    if user is None:
        return login_page(request, gw, error="bad_login", email=email, status=401, next_path=t_next)
    token, _ = await users.open_session(gw.pool, user, auth.SESSION_TTL,
                                        client_ip(request, gw.config.trust_forwarded_for),
                                        request.headers.get("user-agent"))
    await audit.record(gw.pool, user, "logged_in", "console")
    done = RedirectResponse(t_next, status_code=303)
    auth.set_session_cookie(done, gw, token)
    done.delete_cookie(auth.PRE_COOKIE, path="/admin")
    return done


@router.post("/logout")
async def logout(request: Request, gw: GatewayDep, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    login = await auth.require(request, gw)
    auth.check_csrf(request, login, csrf)
    await users.close_session(gw.pool, request.cookies.get(auth.COOKIE))
    await audit.record(gw.pool, login.user, "logged_out", "console")
    response = RedirectResponse("/admin/login", status_code=303)
    auth.clear_session_cookie(response, gw)
    return response


# ---- conversations -------------------------------------------------------------------------------
async def _list(gw: Gateway, state: str | None, query: str | None, offset: int) -> ConversationList:
    chosen = next((s for s in STATES if s == state), None)
    req = ListConversations(state=chosen, query=(query or None) and query[:200], limit=PAGE_SIZE, offset=offset)
    return await gw.rpc.request(ListConversations.TYPE, req, ConversationList)


def _offset(request: Request) -> int:
    try:
        return max(0, min(1_000_000, int(request.query_params.get("offset", "0"))))
    except ValueError:
        return 0


@router.get("/conversations")
async def conversations(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw)
    state = request.query_params.get("state") or None
    query = request.query_params.get("q") or None
    offset = _offset(request)
    found = await _list(gw, state, query, offset)
    template = "conversation_rows.html" if request.query_params.get("partial") else "conversations.html"
    return page(request, template, login, items=found.items, total=found.total, state=state, q=query or "",
                offset=offset, page_size=PAGE_SIZE)


async def _conversation(gw: Gateway, session_id: str) -> Conversation:
    return await gw.rpc.request(GetConversation.TYPE, GetConversation(session_id=session_id), Conversation,
                                session_id=session_id)


@router.get("/conversations/{session_id}")
async def conversation(session_id: str, request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw)
    found = await _conversation(gw, session_id) if is_session_id(session_id) else None
    if found is None or not found.exists:
        return page(request, "message.html", login, status=404, message_key="not_found")
    return page(request, "conversation.html", login, c=found, sent=request.query_params.get("sent"))


def _check_session_id(session_id: str) -> None:
    if not is_session_id(session_id):
        raise auth.LoginRequired("/admin/conversations", "not_found", status=404)


# request ids of the console's writing requests: uuid5(this, user, action, conversation, key)
CONSOLE_REQUESTS = uuid.UUID("0b6c4e0e-8f5a-4c1e-a7d2-6d3f2b9e5c17")


def console_request_id(request: Request, user: users.User, action: str, session_id: str,
                       retry_token: str | None = None) -> uuid.UUID:
    """The request id of a console POST's writing request, the same when the POST is sent again: from
    its `Idempotency-Key` header, else a token the page reuses when it retries (a message's id), else
    a new one. The service then acts once for it (libs/common/requestlog.py)."""
    key = request.headers.get("idempotency-key", "").strip()[:200] or (retry_token or "").strip()
    if not key:
        return uuid.uuid4()
    return uuid.uuid5(CONSOLE_REQUESTS, f"{user.id}:{action}:{session_id}:{key}")


@router.post("/conversations/{session_id}/takeover")
async def take_over(session_id: str, request: Request, gw: GatewayDep,
                    csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    login = await auth.require(request, gw)
    auth.check_csrf(request, login, csrf)
    _check_session_id(session_id)
    req = TakeOverConversation(session_id=session_id, adviser_id=login.user.id, adviser_name=login.user.name)
    changed = await gw.rpc.request(TakeOverConversation.TYPE, req, ConversationChanged, session_id=session_id,
                                   request_id=console_request_id(request, login.user, "takeover", session_id))
    await audit.record(gw.pool, login.user, "took_over", f"conversation {session_id}", session_id=session_id)
    return _after(request, session_id, changed)


@router.post("/conversations/{session_id}/handback")
async def hand_back(session_id: str, request: Request, gw: GatewayDep,
                    csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    login = await auth.require(request, gw)
    auth.check_csrf(request, login, csrf)
    _check_session_id(session_id)
    req = HandBackConversation(session_id=session_id, adviser_id=login.user.id)
    changed = await gw.rpc.request(HandBackConversation.TYPE, req, ConversationChanged, session_id=session_id,
                                   request_id=console_request_id(request, login.user, "handback", session_id))
    await audit.record(gw.pool, login.user, "handed_back", f"conversation {session_id}", session_id=session_id)
    return _after(request, session_id, changed)


@router.post("/conversations/{session_id}/messages")
async def post_message(session_id: str, request: Request, gw: GatewayDep,
                       csrf: Annotated[str, Form(max_length=200)] = "",
                       content: Annotated[str, Form(max_length=8000)] = "",
                       message_id: Annotated[str, Form(max_length=100)] = "") -> Response:
    login = await auth.require(request, gw)
    auth.check_csrf(request, login, csrf)
    _check_session_id(session_id)
    text = content.strip()
    if not text or len(text) > 4000:
        found = await _conversation(gw, session_id)
        return page(request, "conversation.html", login, status=422, c=found, draft=content,
                    field_error="required" if not text else "too_long")
    req = PostHumanMessage(session_id=session_id, adviser_id=login.user.id, adviser_name=login.user.name,
                           content=text, message_id=message_id.strip() or uuid.uuid4().hex)
    changed = await gw.rpc.request(PostHumanMessage.TYPE, req, ConversationChanged, session_id=session_id,
                                   request_id=console_request_id(request, login.user, "message", session_id,
                                                                 req.message_id))
    return _after(request, session_id, changed, sent=True)


def _after(request: Request, session_id: str, changed: ConversationChanged, sent: bool = False) -> Response:
    if request.headers.get("accept", "").startswith("application/json"):
        return Response(changed.model_dump_json(), media_type="application/json")
    suffix = "?sent=1" if sent else ""
    return RedirectResponse(f"/admin/conversations/{session_id}{suffix}", status_code=303)


@router.get("/waiting.json")
async def waiting(request: Request, gw: GatewayDep) -> Response:
    """How many conversations wait for a human (the navigation's badge)."""
    await auth.require(request, gw)
    found = await gw.rpc.request(ListConversations.TYPE, ListConversations(state="waiting_human", limit=1),
                                 ConversationList)
    return Response(json.dumps({"waiting": found.total}), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


# ---- live: handoffs, state changes and messages as Server-Sent Events -----------------------------
def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def live_data(event: LiveEvent) -> dict[str, Any]:
    return {"type": event.type, **event.payload.model_dump(mode="json")}


@router.get("/live")
async def live(request: Request, gw: GatewayDep) -> Response:
    await auth.require(request, gw)
    hub = gw.live
    if hub is None:
        return Response(status_code=503)

    async def events() -> AsyncIterator[str]:
        async with hub.console() as queue:
            yield "retry: 1000\n: connected\n\n"
            deadline = asyncio.get_running_loop().time() + STREAM_MAX_S
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                try:
                    event = await asyncio.wait_for(queue.get(), min(KEEPALIVE_S, left))
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield _sse(event.type, live_data(event))

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
