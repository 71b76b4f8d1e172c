"""A signed webhook for each handoff (`chat.handoff.requested`), when CHAT_HANDOFF_WEBHOOK_URL is set.

POST `{type, id, occurred_at, data}` (the event) as JSON with headers `Webhook-Id` (the event id:
the receiver drops a repeat) and `Comptoir-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>"
under CHAT_HANDOFF_WEBHOOK_SECRET>`. The consumer runs in the inbox transaction: a redelivered event
is not posted twice; a failed POST (network, 5xx) is retried with back-off, then parked with the
reason; a 4xx answer is parked at once (a retry would get the same answer).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.common.errors import InvalidMessage
from libs.common.events.chat import ChatHandoffRequested
from libs.common.logging import get_logger
from libs.common.service import HandlerContext

log = get_logger(__name__)


class HandoffWebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAT_HANDOFF_WEBHOOK_", env_file=".env", extra="ignore")

    url: str | None = None
    secret: SecretStr = SecretStr("")
    timeout_s: float = Field(5.0, gt=0, le=60)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


async def post_handoff(event: ChatHandoffRequested, ctx: HandlerContext, *,
                       settings: HandoffWebhookSettings | None = None) -> None:
    config = settings or ctx.deps.get("handoff_webhook") or HandoffWebhookSettings()
    if not config.url:
        return
    envelope = ctx.envelope
    event_id = str(envelope.id) if envelope is not None else ""
    body = json.dumps({"type": ChatHandoffRequested.TYPE, "id": event_id,
                       "occurred_at": envelope.occurred_at.isoformat() if envelope is not None else None,
                       "data": event.model_dump(mode="json")}, ensure_ascii=False).encode()
    stamp = int(time.time())
    headers = {"Content-Type": "application/json", "Webhook-Id": event_id,
               "Comptoir-Signature": signature(config.secret.get_secret_value(), stamp, body)}
    async with httpx.AsyncClient(timeout=config.timeout_s) as http:
        response = await http.post(config.url, content=body, headers=headers)
    if 400 <= response.status_code < 500:
        raise InvalidMessage(f"handoff webhook refused: HTTP {response.status_code}")
    response.raise_for_status()
    log.info("handoff_webhook_sent", session_id=event.session_id, status=response.status_code)
