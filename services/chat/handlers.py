"""Request handlers of the chat service: a turn, a session's history, a reset."""

from __future__ import annotations

from typing import Any

from libs.common.events.chat import (
    ChatHistory,
    ChatSessionReset,
    ChatSessionResetReply,
    ChatTurn,
    ChatTurnReply,
    Citation,
    GetChatHistory,
    HistoryMessage,
    ResetChatSession,
)
from libs.common.service import HandlerContext
from services.chat import conversations, repo
from services.chat.deps import ChatDeps
from services.chat.turn import Turn


async def turn(req: ChatTurn, ctx: HandlerContext, deps: ChatDeps) -> ChatTurnReply:
    async with deps.slots.turn() as slot:
        return await Turn(req, ctx, deps, slot).run()


def _history_message(raw: dict[str, Any]) -> HistoryMessage | None:
    if raw.get("role") not in ("user", "assistant"):
        return None
    citations = [Citation.model_validate(c) for c in raw.get("citations") or []]
    return HistoryMessage(
        role=raw["role"], content=str(raw.get("content", "")), at=str(raw.get("at", "")), citations=citations,
        author=raw.get("author") if raw.get("mode") == "human" else None,
    )


async def history(req: GetChatHistory, ctx: HandlerContext, deps: ChatDeps) -> ChatHistory:
    async with ctx.pool.acquire() as conn:
        session = await repo.load_session(conn, req.session_id)
    messages = [m for m in map(_history_message, session.messages[-req.limit :]) if m is not None]
    return ChatHistory(
        session_id=req.session_id,
        exists=session.exists,
        messages=messages,
        message_count=session.message_count,
        summary=session.summary,
        state=conversations.state_of(session.metadata),
        adviser=conversations.adviser_name(session.metadata),
    )


async def reset(req: ResetChatSession, ctx: HandlerContext, deps: ChatDeps) -> ChatSessionResetReply:
    async with ctx.transaction() as conn:
        done = await repo.reset_session(conn, req.session_id)
        if done:
            await ctx.emit(
                ChatSessionReset(session_id=req.session_id), conn=conn, aggregate_id=req.session_id,
                session_id=req.session_id,
            )
    return ChatSessionResetReply(session_id=req.session_id, reset=done)
