"""Billing service wiring only: requests, webhook and purchase consumers, the expiry job.

Every handler lives in `handlers.py` (or `invoices.py`) and takes its typed message and billing's
deps (`Billing`, built once at start-up); this module maps queues and errors onto them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aio_pika

from libs.common import broker as topology
from libs.common.db import Conn
from libs.common.errors import RemoteError
from libs.common.events.billing import (
    CreateCheckout,
    CreateInvoice,
    CreateQuote,
    GetQuote,
    InvoiceCreated,
    ProductResults,
    QuoteReply,
    SearchProducts,
    StripeWebhookReceived,
    WebhookRejected,
    WixWebhookReceived,
)
from libs.common.logging import get_logger
from libs.common.messages import Envelope
from libs.common.service import HandlerContext, ServiceApp
from services.billing import handlers, invoices, maintenance, products, sync
from services.billing.config import BillingSettings
from services.billing.deps import Billing, build_billing, rag_embedder
from services.billing.errors import PaymentProviderError, QuoteError

log = get_logger(__name__)
svc = ServiceApp("billing")
maintenance.register(svc)  # its expired rows in `billing.maintenance.prune`
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


@svc.on_request("billing.create_quote", writes=True)
async def on_create_quote(req: CreateQuote, ctx: HandlerContext) -> QuoteReply:
    quote = await _typed_errors(lambda: handlers.create_quote(req, _billing(ctx), ctx.envelope, ctx.transaction))
    return QuoteReply(quote=quote)


@svc.on_request("billing.search_products", read_only=True)
async def on_search_products(req: SearchProducts, ctx: HandlerContext) -> ProductResults:
    return await _typed_errors(lambda: handlers.search_products(req, _billing(ctx)))


@svc.on_request("billing.get_quote", read_only=True)
async def on_get_quote(req: GetQuote, ctx: HandlerContext) -> QuoteReply:
    return QuoteReply(quote=await _typed_errors(lambda: handlers.get_quote(req.quote_id, _billing(ctx))))


@svc.on_request("billing.create_checkout", writes=True)
async def on_create_checkout(req: CreateCheckout, ctx: HandlerContext) -> QuoteReply:
    quote = await _typed_errors(lambda: handlers.create_checkout(req.quote_id, req.provider, _billing(ctx),
                                                                 ctx.transaction))
    return QuoteReply(quote=quote)


@svc.on_request("billing.create_invoice", writes=True)
async def on_create_invoice(req: CreateInvoice, ctx: HandlerContext) -> InvoiceCreated:
    return await _typed_errors(lambda: invoices.create_invoice(req, _billing(ctx), ctx.envelope, ctx.transaction))


@svc.on_event("billing.stripe_webhook_received", queue="billing.stripe_webhooks")
async def on_stripe_webhook(cmd: StripeWebhookReceived, ctx: HandlerContext) -> None:
    await handlers.stripe_webhook(cmd, _billing(ctx), *_in_transaction(ctx))


@svc.on_event("billing.wix_webhook_received", queue="billing.wix_webhooks")
async def on_wix_webhook(cmd: WixWebhookReceived, ctx: HandlerContext) -> None:
    await handlers.wix_webhook(cmd, _billing(ctx), *_in_transaction(ctx))


@svc.on_event("billing.webhook_rejected", queue="billing.webhook_rejections")
async def on_webhook_rejected(event: WebhookRejected, ctx: HandlerContext) -> None:
    await handlers.webhook_rejected(event, _in_transaction(ctx)[0])


def _in_transaction(ctx: HandlerContext) -> tuple[Conn, Envelope]:
    """An event handler runs in the consumer's transaction (with its inbox row)."""
    assert ctx.conn is not None and ctx.envelope is not None
    return ctx.conn, ctx.envelope


async def _expiry_loop(billing: Billing) -> None:
    while True:
        try:
            await handlers.expire_due(billing)
        except Exception as exc:  # a DB hiccup must not end the job
            log.warning("quote_expiry_failed", error=str(exc))
        await asyncio.sleep(billing.cfg.expiry_interval_s)


async def _catalogue_loop(billing: Billing) -> None:
    """Full provider syncs every `catalogue_sync_interval_s`; vectors for new products meanwhile."""
    last_sync = -float("inf")
    while True:
        now = asyncio.get_running_loop().time()
        if now - last_sync >= billing.cfg.catalogue_sync_interval_s:
            last_sync = now
            for source in ("wix", "stripe"):
                try:
                    await sync.full_sync(source, billing)
                except Exception as exc:  # a provider outage must not end the job
                    log.warning("catalogue_sync_failed", source=source, error=str(exc))
        try:
            await products.embed_pending(billing.pool, billing.embed) if billing.embed else None
        except Exception as exc:
            log.warning("catalogue_embed_failed", error=str(exc))
        await asyncio.sleep(billing.cfg.embed_interval_s)


# queues billing consumed in earlier versions: payment.completed moved to chat.purchases (chat owns app_leads)
RETIRED_QUEUES = ("billing.purchases",)


@svc.on_startup
async def drop_retired_queues(ctx: HandlerContext) -> None:
    connection = await aio_pika.connect(ctx.settings.amqp_url.get_secret_value())
    async with connection:
        deleted = await topology.delete_retired_queues(connection, topology.Names(ctx.settings), RETIRED_QUEUES)
    log.info("retired_queues_removed", queues=deleted)


@svc.on_startup
async def start(ctx: HandlerContext) -> None:
    cfg = ctx.deps.get("billing_settings") or BillingSettings()
    billing = build_billing(ctx.settings, cfg, ctx.pool)
    billing.embed = rag_embedder(ctx.rpc, cfg.embed_timeout_s)
    ctx.deps["billing"] = billing
    ctx.deps["expiry_task"] = asyncio.create_task(_expiry_loop(billing))
    ctx.deps["catalogue_task"] = asyncio.create_task(_catalogue_loop(billing))


@svc.on_shutdown
async def stop(ctx: HandlerContext) -> None:
    for name in ("expiry_task", "catalogue_task"):
        task: asyncio.Task[None] | None = ctx.deps.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    billing: Billing | None = ctx.deps.pop("billing", None)
    if billing is not None:
        await billing.close()
