"""The widget's side of the console: a live stream of a session's human events, and the widget's
settings (brand colour, launcher label, whether an adviser answers now)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from services.gateway.admission import session_owner
from services.gateway.console import hours
from services.gateway.deps import GatewayDep
from services.gateway.errors import ApiError

router = APIRouter(tags=["chat"])
KEEPALIVE_S = 10.0
# A live stream ends after this long and the client reconnects: a server shutting down (which waits
# for open responses) is never held up for longer, and no stream outlives a revoked login for long.
STREAM_MAX_S = 25.0
WIDGET_FACTS = ("opening_hours", "widget_brand_color", "widget_launcher_label", "brand_name")
SELECT_WIDGET_FACTS = "SELECT key, value FROM app_company_facts WHERE active AND key = ANY($1::TEXT[])"


@router.get("/v1/chat/sessions/{session_id}/live", summary="A session's adviser messages, live (SSE)",
            responses={200: {"description": "Server-Sent Events: human_message {author, content, at, "
                                            "message_id}, state {state, adviser}",
                             "content": {"text/event-stream": {}}}})
async def session_live(session_id: str, request: Request, gw: GatewayDep) -> Response:
    session_owner(request, gw, session_id)
    hub = gw.live
    if hub is None:
        raise ApiError(503, "live_unavailable", "live updates are not available on this gateway")

    async def events() -> AsyncIterator[str]:
        async with hub.session(session_id) as queue:
            yield "retry: 1000\n: connected\n\n"
            deadline = asyncio.get_running_loop().time() + STREAM_MAX_S
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                try:
                    event = await asyncio.wait_for(queue.get(), min(KEEPALIVE_S, left))
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                data: dict[str, Any] = event.payload.model_dump(mode="json")
                if event.type == "chat.human_message.posted":
                    name = "human_message"
                elif event.type == "chat.conversation.updated":
                    name = "state"
                else:
                    continue
                yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/v1/widget/config", summary="The widget's settings from the shop's facts")
async def widget_config(gw: GatewayDep) -> JSONResponse:
    rows = {r["key"]: r["value"] for r in await gw.pool.fetch(SELECT_WIDGET_FACTS, list(WIDGET_FACTS))}
    available, next_open = hours.availability(rows.get("opening_hours"), zone=gw.settings.zone())
    body = {"brand_color": _colour(rows.get("widget_brand_color")),
            "launcher_label": (rows.get("widget_launcher_label") or "")[:60] or None,
            "brand_name": rows.get("brand_name"), "opening_hours": rows.get("opening_hours"),
            "human_available": available, "next_human_at": next_open.isoformat() if next_open else None}
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=60"})


def _colour(value: str | None) -> str | None:
    """Only a #rgb / #rrggbb colour reaches the widget's CSS."""
    if value and len(value) in (4, 7) and value.startswith("#") and all(
            c in "0123456789abcdefABCDEF" for c in value[1:]):
        return value
    return None
