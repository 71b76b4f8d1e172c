"""Calls to the chat service: a turn (whole or streamed), a session's history, a reset."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from libs.common.events.chat import (
    ChatHistory,
    ChatReplyDelta,
    ChatSessionResetReply,
    ChatTurn,
    ChatTurnReply,
    GetChatHistory,
    ResetChatSession,
)
from libs.common.messages import Message
from services.gateway.admission import Turn
from services.gateway.deps import Gateway

StreamEvent = tuple[str, dict[str, Any]]


def chat_turn(turn: Turn, stream_to: str | None = None, user_agent: str | None = None) -> ChatTurn:
    return ChatTurn(session_id=turn.session_id, message=turn.message, locale=turn.locale, ip=turn.ip,
                    user_agent=(user_agent or "")[:500] or None, stream_to=stream_to,
                    request_id=turn.request_id, visitor_id=turn.visitor_id, screened=turn.screened,
                    security_unavailable=not turn.screened)


def reply_body(turn: Turn, reply: ChatTurnReply | None) -> dict[str, Any]:
    """The HTTP answer of a turn (also the `done` event of a stream)."""
    base: dict[str, Any] = {"session_id": turn.session_id, "session_token": turn.session_token,
                            "visitor": turn.visitor, "request_id": turn.request_id}
    if reply is None:  # refused at the edge by screening
        return {**base, "reply": turn.refusal, "citations": [], "mode": "refused", "blocked": True,
                "handoff": False}
    data = reply.model_dump(mode="json", exclude={"session_id", "request_id"})
    return {**base, **data}


async def run_turn(gw: Gateway, turn: Turn, user_agent: str | None = None,
                   request_id: uuid.UUID | None = None) -> ChatTurnReply:
    return await gw.rpc.request(ChatTurn.TYPE, chat_turn(turn, None, user_agent), ChatTurnReply,
                                timeout=gw.config.turn_timeout_s, session_id=turn.session_id, request_id=request_id)


async def stream_turn(gw: Gateway, turn: Turn, user_agent: str | None = None,
                      request_id: uuid.UUID | None = None) -> AsyncIterator[StreamEvent]:
    """Yield `token` events as deltas arrive, then `citations` and `done` from the authoritative reply."""
    request = chat_turn(turn, gw.streams.queue_name, user_agent)
    async with gw.streams.subscribe(turn.request_id) as deltas:
        call = asyncio.create_task(gw.rpc.request(
            ChatTurn.TYPE, request, ChatTurnReply, timeout=gw.config.turn_timeout_s,
            session_id=turn.session_id, request_id=request_id))
        try:
            streamed = ""
            async for delta in _until_done(deltas, call):
                streamed += delta.delta
                if delta.delta:
                    yield "token", {"text": delta.delta, "seq": delta.seq}
            reply = await call
        finally:
            if not call.done():
                call.cancel()
    if reply.reply.startswith(streamed) and len(reply.reply) > len(streamed):
        # deltas and the reply travel on different queues: the tail may not have been streamed
        yield "token", {"text": reply.reply[len(streamed):], "seq": -1}
    if reply.citations:
        yield "citations", {"citations": [c.model_dump(mode="json") for c in reply.citations]}
    yield "done", reply_body(turn, reply)


async def _until_done(
    deltas: asyncio.Queue[Message], call: asyncio.Task[Any]
) -> AsyncIterator[ChatReplyDelta]:
    """Deltas in arrival order, until the final delta or the RPC reply (whichever comes first)."""
    while True:
        if call.done():  # the reply won: hand out what already arrived, without waiting for more
            while not deltas.empty():
                delta = deltas.get_nowait()
                if isinstance(delta, ChatReplyDelta):
                    yield delta
            return
        getter = asyncio.ensure_future(deltas.get())
        await asyncio.wait({getter, call}, return_when=asyncio.FIRST_COMPLETED)
        if not getter.done():
            getter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await getter
            continue
        delta = getter.result()
        if isinstance(delta, ChatReplyDelta):
            yield delta
            if delta.done:
                return


async def history(gw: Gateway, session_id: str) -> ChatHistory:
    request = GetChatHistory(session_id=session_id, limit=min(gw.config.history_limit, 1000))
    return await gw.rpc.request(GetChatHistory.TYPE, request, ChatHistory, session_id=session_id)


async def reset(gw: Gateway, session_id: str, request_id: uuid.UUID | None = None) -> ChatSessionResetReply:
    return await gw.rpc.request(ResetChatSession.TYPE, ResetChatSession(session_id=session_id),
                                ChatSessionResetReply, session_id=session_id, request_id=request_id)
