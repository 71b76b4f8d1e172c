"""Replay of the event log (published outbox rows) into one queue.

A fresh consumer rebuilds its state from the log; an existing consumer ignores what it already
processed (inbox), so a replay is always safe to repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import aiormq
import asyncpg

from libs.common.broker import Names, connect
from libs.common.errors import UsageError
from libs.common.outbox import amqp_message
from libs.common.settings import Settings

SELECT_LOG = """
SELECT seq, envelope FROM app_event_log
WHERE seq > $1 AND ($2::text[] IS NULL OR type = ANY($2)) AND ($3::timestamptz IS NULL OR created_at >= $3)
ORDER BY seq LIMIT $4
"""


async def replay(
    settings: Settings,
    pool: asyncpg.Pool,
    queue: str,
    *,
    types: list[str] | None = None,
    since: datetime | None = None,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Publish logged events, oldest first, straight to `queue` (full name); returns the count."""
    connection = await connect(settings, name="comptoir-replay")
    sent = 0
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        try:
            await channel.get_queue(queue, ensure=True)  # a missing queue is an error, not a silent no-op
        except aiormq.exceptions.ChannelNotFoundEntity as exc:
            raise UsageError(f"no queue {queue} on the broker (has its service started once?)") from exc
        last = 0
        while rows := await pool.fetch(SELECT_LOG, last, types, since, batch):
            for row in rows:
                await channel.default_exchange.publish(amqp_message(row["envelope"]), routing_key=queue,
                                                       mandatory=True)
            last = rows[-1]["seq"]
            sent += len(rows)
            if progress is not None:
                progress(sent)
    finally:
        await connection.close()
    return sent


def queue_name(settings: Settings, queue: str) -> str:
    return Names(settings).queue(queue)
