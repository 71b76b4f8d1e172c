"""Stripe and Wix webhooks: verify, write the command to the outbox, answer 200 fast (Wix allows 1,250 ms).

Billing processes the command from its queue; providers retry for days, so a webhook accepted here is
never lost (outbox, same transaction) and a rejected one is recorded with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from libs.common.events.billing import (
    MAX_WEBHOOK_BYTES,
    StripeWebhookReceived,
    WebhookRejected,
    WixWebhookReceived,
)
from libs.common.logging import get_logger
from libs.common.messages import Message
from libs.common.outbox import add_event
from libs.webhooks import (
    MalformedWebhook,
    WebhookVerificationError,
    body_sha256,
    verify_stripe_signature,
    verify_wix_webhook,
)
from services.gateway.body import read_limited
from services.gateway.deps import Gateway, GatewayDep, client_ip
from services.gateway.errors import ApiError
from services.gateway.webhook_limits import WebhookLimiter

log = get_logger("gateway.webhooks")
router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
_FORWARDED_HEADERS = ("stripe-signature", "content-type", "user-agent")


async def _publish(gw: Gateway, message: Message, aggregate_id: str) -> None:
    async with gw.pool.acquire() as conn, conn.transaction():
        await add_event(conn, message, source="gateway", aggregate_id=aggregate_id)


def _limiter(request: Request) -> WebhookLimiter:
    limiter: WebhookLimiter | None = getattr(request.app.state, "webhook_limiter", None)
    if limiter is None:
        limiter = request.app.state.webhook_limiter = WebhookLimiter()
    return limiter


async def _receive(request: Request, gw: Gateway, provider: str,
                   verify: Callable[[bytes], dict[str, Any]]) -> JSONResponse:
    # per source, before the body is read or verified and before any row: a refusal is only a counter
    source = client_ip(request, gw.config.trust_forwarded_for) or "unknown"
    limiter = _limiter(request)
    retry_after = limiter.admit(f"{provider}:{source}")
    if retry_after:
        gw.metrics.webhooks.labels(provider, "rate_limited").inc()
        raise ApiError(429, "rate_limited", f"too many webhooks from this source; retry in {retry_after} s",
                       {"Retry-After": str(retry_after)})
    body = await read_limited(request, MAX_WEBHOOK_BYTES)
    received_at = datetime.now(UTC)
    try:
        text = body.decode("utf-8")
        event = verify(body)
    except (WebhookVerificationError, UnicodeDecodeError) as exc:
        malformed = isinstance(exc, MalformedWebhook)
        reason = exc.reason if isinstance(exc, WebhookVerificationError) else "body is not UTF-8"
        limiter.failed(f"{provider}:{source}")
        gw.metrics.webhooks.labels(provider, "malformed" if malformed else "rejected").inc()
        log.warning("webhook_rejected", provider=provider, reason=reason)
        await _publish(gw, WebhookRejected(
            provider=provider, reason=reason[:500], body_sha256=body_sha256(body), received_at=received_at,
            remote_addr=source), f"webhook:{provider}")
        if malformed:  # signed by the provider, but not an event we can use
            raise ApiError(400, "malformed_webhook", reason) from exc
        raise ApiError(401, "webhook_unverified", reason) from exc
    headers = {k: v for k, v in request.headers.items() if k in _FORWARDED_HEADERS}
    model = StripeWebhookReceived if provider == "stripe" else WixWebhookReceived
    data = event.get("data")
    data_id = data.get("id") if isinstance(data, dict) else None
    event_id = str(event.get("id") or data_id or body_sha256(body))
    await _publish(gw, model(body=text, headers=headers, received_at=received_at), f"{provider}:{event_id}")
    gw.metrics.webhooks.labels(provider, "accepted").inc()
    return JSONResponse({"received": True})


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "accepted (recorded in the outbox for billing)"},
    400: {"description": "signed, but not a usable event (malformed body)"},
    401: {"description": "signature or token not valid (recorded with its reason)"},
    413: {"description": "body too large"},
    429: {"description": "too many webhooks from this source (see Retry-After); nothing recorded"},
}


@router.post("/stripe", summary="Stripe webhook (Stripe-Signature verified)", responses=_RESPONSES)
async def stripe_webhook(request: Request, gw: GatewayDep) -> JSONResponse:
    secret, tolerance = gw.webhooks.stripe_secret(), gw.webhooks.stripe_webhook_tolerance_s
    header = request.headers.get("stripe-signature", "")
    return await _receive(request, gw, "stripe", lambda body: verify_stripe_signature(
        body, header, secret, tolerance=tolerance))


@router.post("/wix", summary="Wix webhook (RS256 JWT verified)", responses=_RESPONSES)
async def wix_webhook(request: Request, gw: GatewayDep) -> JSONResponse:
    key = gw.webhooks.wix_key()
    return await _receive(request, gw, "wix", lambda body: verify_wix_webhook(body, key))
