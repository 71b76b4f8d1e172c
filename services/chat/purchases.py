"""Purchases on the lead: chat owns `app_leads`; billing announces `payment.completed` and chat
records the purchase here (the spec's `upsert_lead_purchase`, migrations 025/026), in the inbox
transaction, so a redelivered or replayed event counts once."""

from __future__ import annotations

from libs.common.events.billing import PaymentCompleted
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from services.chat.deps import ChatDeps

log = get_logger(__name__)
UPSERT_LEAD_PURCHASE = "SELECT upsert_lead_purchase($1, $2, $3)"


async def record_purchase(event: PaymentCompleted, ctx: HandlerContext, deps: ChatDeps) -> None:
    if not event.email:
        log.info("purchase_without_email", quote_id=event.quote_id)
        return
    assert ctx.conn is not None  # event handlers run in their inbox transaction
    await ctx.conn.execute(UPSERT_LEAD_PURCHASE, event.email, event.amount, event.session_id)
