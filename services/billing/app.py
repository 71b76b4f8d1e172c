"""Billing service wiring: requests, webhook and purchase consumers, the expiry job."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from libs.common.errors import RemoteError
from libs.common.events.billing import (
    CreateCheckout,
    CreateInvoice,
    CreateQuote,
    GetQuote,
    InvoiceCreated,
    PaymentCompleted,
    QuoteReply,
    StripeWebhookReceived,
    WebhookRejected,
    WixWebhookReceived,
)
from libs.common.logging import get_logger
from libs.common.service import HandlerContext, ServiceApp
from services.billing import handlers, invoices, payments, repo
from services.billing.config import BillingSettings
from services.billing.deps import Billing, build_billing
from services.billing.errors import PaymentProviderError, QuoteError
from services.billing.webhooks import (
    WebhookVerificationError,
    parse_stripe_event,
    verify_stripe_signature,
    verify_wix_webhook,
)

log = get_logger(__name__)
svc = ServiceApp("billing")
T = TypeVar("T")


def _billing(ctx: HandlerContext) -> Billing:
    billing: Billing = ctx.deps["billing"]
    return billing


async def _typed_errors(call: Callable[[], Awaitable[T]]) -> T:
    """Billing's own errors become typed error replies the caller can act on."""
    try:
        return await call()
    except QuoteError as exc:
        raise RemoteError(exc.code, exc.message) from exc
    except PaymentProviderError as exc:
        raise RemoteError(f"provider_{exc.code}", str(exc)) from exc


@svc.on_request("billing.create_quote")
async def on_create_quote(req: CreateQuote, ctx: HandlerContext) -> QuoteReply:
    quote = await _typed_errors(lambda: handlers.create_quote(req, _billing(ctx), ctx.envelope))
    return QuoteReply(quote=quote)


@svc.on_request("billing.get_quote")
async def on_get_quote(req: GetQuote, ctx: HandlerContext) -> QuoteReply:
    return QuoteReply(quote=await _typed_errors(lambda: handlers.get_quote(req.quote_id, _billing(ctx))))


@svc.on_request("billing.create_checkout")
async def on_create_checkout(req: CreateCheckout, ctx: HandlerContext) -> QuoteReply:
    quote = await _typed_errors(lambda: handlers.create_checkout(req.quote_id, req.provider, _billing(ctx)))
    return QuoteReply(quote=quote)


@svc.on_request("billing.create_invoice")
async def on_create_invoice(req: CreateInvoice, ctx: HandlerContext) -> InvoiceCreated:
    return await _typed_errors(lambda: invoices.create_invoice(req, _billing(ctx), ctx.envelope))


@svc.on_event("billing.stripe_webhook_received", queue="billing.stripe_webhooks")
async def on_stripe_webhook(cmd: StripeWebhookReceived, ctx: HandlerContext) -> None:
    assert ctx.conn is not None
    billing = _billing(ctx)
    secret = billing.cfg.stripe_webhook_secret
    body = cmd.body.encode()
    try:
        # Re-checked here (the broker is not the trust boundary); tolerance 0: retries arrive late.
        if secret is not None and secret.get_secret_value():
            event = verify_stripe_signature(body, _header(cmd.headers, "stripe-signature"),
                                            secret.get_secret_value(), tolerance=0)
        else:
            event = parse_stripe_event(body)
    except WebhookVerificationError as exc:
        await _record_rejected(ctx, "stripe", exc.reason, body, cmd)
        return
    await payments.apply_stripe_event(ctx.conn, event, billing.clock(), ctx.envelope)


@svc.on_event("billing.wix_webhook_received", queue="billing.wix_webhooks")
async def on_wix_webhook(cmd: WixWebhookReceived, ctx: HandlerContext) -> None:
    assert ctx.conn is not None
    billing = _billing(ctx)
    body = cmd.body.encode()
    try:
        event = verify_wix_webhook(body, billing.cfg.wix_public_key or "", verify_exp=False)
    except WebhookVerificationError as exc:
        await _record_rejected(ctx, "wix", exc.reason, body, cmd)
        return
    await payments.apply_wix_event(ctx.conn, event, billing.clock(), ctx.envelope)


@svc.on_event("billing.webhook_rejected", queue="billing.webhook_rejections")
async def on_webhook_rejected(event: WebhookRejected, ctx: HandlerContext) -> None:
    assert ctx.conn is not None
    event_id = f"rejected:{event.body_sha256}:{event.received_at.isoformat()}"
    await repo.record_webhook(ctx.conn, event.provider, event_id, "rejected", "rejected", event.reason,
                              payload={"remote_addr": event.remote_addr})


@svc.on_event("payment.completed", queue="billing.purchases")
async def on_payment_completed(event: PaymentCompleted, ctx: HandlerContext) -> None:
    assert ctx.conn is not None
    if not event.email:
        log.info("purchase_without_email", quote_id=event.quote_id)
        return
    await ctx.conn.execute(repo.UPSERT_LEAD_PURCHASE, event.email, event.amount, event.session_id)


async def _record_rejected(ctx: HandlerContext, provider: str, reason: str, body: bytes, cmd: Any) -> None:
    assert ctx.conn is not None and ctx.envelope is not None
    log.warning("webhook_rejected_by_billing", provider=provider, reason=reason)
    await repo.record_webhook(ctx.conn, provider, f"rejected:{ctx.envelope.id}", "rejected", "rejected",
                              reason, payload={"received_at": cmd.received_at.isoformat()})


def _header(headers: dict[str, str], name: str) -> str:
    return next((value for key, value in headers.items() if key.lower() == name), "")


async def _expiry_loop(billing: Billing) -> None:
    while True:
        try:
            await handlers.expire_due(billing)
        except Exception as exc:  # a DB hiccup must not end the job
            log.warning("quote_expiry_failed", error=str(exc))
        await asyncio.sleep(billing.cfg.expiry_interval_s)


@svc.on_startup
async def start(ctx: HandlerContext) -> None:
    cfg = ctx.deps.get("billing_settings") or BillingSettings()
    billing = build_billing(ctx.settings, cfg, ctx.pool)
    ctx.deps["billing"] = billing
    ctx.deps["expiry_task"] = asyncio.create_task(_expiry_loop(billing))


@svc.on_shutdown
async def stop(ctx: HandlerContext) -> None:
    task: asyncio.Task[None] | None = ctx.deps.pop("expiry_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    billing: Billing | None = ctx.deps.pop("billing", None)
    if billing is not None:
        await billing.close()
