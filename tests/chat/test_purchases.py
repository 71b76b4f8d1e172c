"""Chat owns app_leads: a `payment.completed` from billing is recorded on the lead by chat, once."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from libs.common.events.billing import PaymentCompleted
from libs.common.outbox import add_event
from libs.common.replay import queue_name, replay
from libs.common.settings import Settings
from tests.chat.conftest import ChatHarness
from tests.conftest import eventually


def purchase(email: str | None, amount: str) -> PaymentCompleted:
    return PaymentCompleted(quote_id=str(uuid.uuid4()), provider="stripe", provider_reference=f"cs_{uuid.uuid4().hex}",
                            amount=Decimal(amount), currency="EUR", email=email, session_id="sess-purchase",
                            paid_at=datetime.now(UTC))


async def drained(queue: str) -> bool:
    """No message ready or unacknowledged in `queue` (rabbitmqctl counts both)."""
    done = await asyncio.to_thread(subprocess.run, ["rabbitmqctl", "list_queues", "name", "messages", "-q"],
                                   capture_output=True, text=True, timeout=30, check=False)
    counts = dict(line.split("\t")[:2] for line in done.stdout.splitlines() if "\t" in line)
    return counts.get(queue) == "0"


async def announce(pool: asyncpg.Pool, event: PaymentCompleted) -> None:
    """As billing does: the event in its outbox, in the transaction of the payment."""
    async with pool.acquire() as conn, conn.transaction():
        await add_event(conn, event, source="billing", aggregate_id=event.quote_id)


async def test_a_purchase_is_recorded_on_the_lead_once_even_when_replayed(chat: ChatHarness, settings: Settings,
                                                                        pool: asyncpg.Pool) -> None:
    started = datetime.now(UTC)
    email = f"acheteuse-{uuid.uuid4().hex[:8]}@example.fr"
    await announce(pool, purchase(email.upper(), "84.70"))
    lead = await eventually(lambda: pool.fetchrow(
        "SELECT purchase_count, total_spend, last_purchase_amount FROM app_leads WHERE email = $1", email))
    assert (lead["purchase_count"], lead["total_spend"]) == (1, Decimal("84.70"))
    # the event log replayed into chat's queue (a redelivery, or `comptoir replay chat.purchases`): no second count
    sent = await replay(settings, pool, queue_name(settings, "chat.purchases"), types=["payment.completed"],
                        since=started)
    assert sent >= 1
    await eventually(lambda: drained(queue_name(settings, "chat.purchases")), timeout=30)
    assert await pool.fetchval("SELECT purchase_count FROM app_leads WHERE email = $1", email) == 1
    await announce(pool, purchase(email, "10.00"))
    lead = await eventually(lambda: pool.fetchrow(
        "SELECT purchase_count, total_spend FROM app_leads WHERE email = $1 AND purchase_count = 2", email))
    assert lead["total_spend"] == Decimal("94.70")


async def test_a_purchase_without_an_e_mail_touches_no_lead(chat: ChatHarness, pool: asyncpg.Pool) -> None:
    event = purchase(None, "5.00")
    before = await pool.fetchval("SELECT count(*) FROM app_leads")
    await announce(pool, event)
    await eventually(lambda: pool.fetchval(
        "SELECT count(*) = 1 FROM app_inbox i JOIN app_outbox o ON o.id = i.message_id "
        "WHERE i.consumer = 'chat.purchases' AND o.aggregate_id = $1", event.quote_id))
    assert await pool.fetchval("SELECT count(*) FROM app_leads") == before
