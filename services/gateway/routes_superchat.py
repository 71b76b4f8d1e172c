"""Admin API of the owner's super chat (bearer GATEWAY_ADMIN_TOKEN): the agents service answers.

- `POST /v1/admin/agents/chat` {message, conversation_id?, admin_user?} → the answer
  (`agents.admin_chat`: commands without a model, read-only tools with one, an objective on request).
  With `Idempotency-Key` a retry gets the first answer (the request id is stable).
- `GET /v1/admin/agents/chat?conversation_id=…&admin_user=…` → the conversation (the latest without an id).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.common.errors import RemoteError
from libs.common.events.agents import AdminChat, AdminChatHistory, AdminChatReply, GetAdminChat
from services.gateway import idempotency
from services.gateway.body import check_text
from services.gateway.deps import GatewayDep
from services.gateway.errors import ApiError, domain_error
from services.gateway.routes_admin import require_admin

router = APIRouter(prefix="/v1/admin/agents", tags=["admin", "agents"], dependencies=[Depends(require_admin)])
# a model may call a few tools and the agents service gives it 40 s before the commands answer
CHAT_TIMEOUT_S = 60.0


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000, description="a question or a command (`/aide`)")
    conversation_id: str | None = Field(None, max_length=100, description="none: a new conversation")
    admin_user: str | None = Field(None, max_length=200, description="who asks (kept with the messages)")
    locale: Literal["fr", "en"] = Field("fr", description="the language of the answer")


@router.post("/chat", response_model=AdminChatReply)
async def chat(body: ChatIn, request: Request, gw: GatewayDep) -> dict[str, Any]:
    """One message to the owner's assistant; the answer comes from the shop's data."""
    check_text(body.model_dump())  # NUL characters and lone surrogates: 400, as on the chat API
    text = body.message.strip()
    if not text:
        raise ApiError(422, "empty_message", "the message is blank")
    req = AdminChat(message=text, conversation_id=body.conversation_id, admin_user=body.admin_user,
                    locale=body.locale)
    try:
        reply = await gw.rpc.request(AdminChat.TYPE, req, AdminChatReply, timeout=CHAT_TIMEOUT_S,
                                     request_id=idempotency.request_id_of(request))
    except RemoteError as exc:
        raise domain_error(exc) from exc
    return reply.model_dump(mode="json")


@router.get("/chat", response_model=AdminChatHistory)
async def history(gw: GatewayDep, conversation_id: Annotated[str | None, Query(max_length=100)] = None,
                  admin_user: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
    """The messages of a conversation, oldest first (the 200 latest); without an id, the latest one."""
    check_text([conversation_id, admin_user])
    req = GetAdminChat(conversation_id=conversation_id or None, admin_user=admin_user or None)
    try:
        found = await gw.rpc.request(GetAdminChat.TYPE, req, AdminChatHistory)
    except RemoteError as exc:
        raise domain_error(exc) from exc
    return found.model_dump(mode="json")
