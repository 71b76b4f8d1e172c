"""Transactional outbox and its relay.

`add_event` writes an event in the caller's transaction. The relay publishes pending rows in `seq`
order on one confirming channel (so events of one aggregate reach the broker in order), marks them
published, and keeps them for `OUTBOX_RETENTION_DAYS` as the replayable event log. It wakes on
`NOTIFY comptoir_outbox` and also polls, so a lost notification only delays delivery. Only one relay
publishes at a time (session advisory lock); others wait as hot standbys.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractExchange

from libs.common import metrics
from libs.common.broker import Names, connect, declare_events_exchange
from libs.common.db import Conn, create_pool
from libs.common.logging import get_logger
from libs.common.messages import Envelope, Message
from libs.common.settings import Settings

log = get_logger(__name__)

RELAY_LOCK_ID = 0x6F7574  # "out"
NOTIFY_CHANNEL = "comptoir_outbox"

INSERT_EVENT = """
INSERT INTO app_outbox (id, aggregate_id, type, envelope) VALUES ($1, $2, $3, $4)
"""
FETCH_PENDING = """
SELECT seq, id, type, envelope, EXTRACT(EPOCH FROM clock_timestamp() - created_at)::float8 AS age
FROM app_outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1
"""
MARK_PUBLISHED = "UPDATE app_outbox SET published_at = NOW(), attempts = attempts + 1 WHERE seq = ANY($1)"
MARK_FAILED = "UPDATE app_outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1"
PRUNE_PUBLISHED = """
DELETE FROM app_outbox WHERE published_at < NOW() - ($1 * INTERVAL '1 day')
"""


async def add_event(
    conn: Conn,
    message: Message | Envelope,
    *,
    source: str = "",
    aggregate_id: str | None = None,
    causation: Envelope | None = None,
    session_id: str | None = None,
    correlation_id: uuid.UUID | None = None,
) -> Envelope:
    """Write an event to the outbox inside the caller's transaction; returns its envelope."""
    envelope = (
        message
        if isinstance(message, Envelope)
        else Envelope.wrap(message, source=source, causation=causation, session_id=session_id,
                           correlation_id=correlation_id)
    )
    aggregate = aggregate_id or envelope.session_id or str(envelope.id)
    await conn.execute(INSERT_EVENT, envelope.id, aggregate, envelope.type, envelope.model_dump(mode="json"))
    return envelope


def amqp_message(envelope: Envelope | dict[str, Any], **extra: Any) -> aio_pika.Message:
    env = envelope if isinstance(envelope, Envelope) else Envelope.model_validate(envelope)
    return aio_pika.Message(
        body=env.model_dump_json().encode(),
        message_id=str(env.id),
        correlation_id=str(env.correlation_id) if env.correlation_id else None,
        type=env.type,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        timestamp=env.occurred_at,
        app_id=env.source or None,
        **extra,
    )


class OutboxRelay:
    def __init__(
        self, settings: Settings, pool: asyncpg.Pool | None = None, *, name: str = "comptoir"
    ) -> None:
        self.settings = settings
        self.name = name
        self.names = Names(settings)
        self._pool = pool
        self._own_pool = pool is None
        self._wake = asyncio.Event()
        self.published = 0

    async def run(self) -> None:
        """Publish until cancelled; reconnects to the broker and the database on failure."""
        pool = self._pool or await create_pool(self.settings, min_size=1, max_size=3)
        try:
            while True:
                try:
                    await self._serve(pool)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # broker or DB outage: log, back off, start again
                    log.warning("outbox_relay_restarting", error=str(exc) or type(exc).__name__)
                    await asyncio.sleep(1.0)
        finally:
            if self._own_pool:
                await pool.close()

    async def _serve(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire() as lock_conn:
            try:
                while not await lock_conn.fetchval(  # noqa: ASYNC110 - standby polls for the leader lock
                    "SELECT pg_try_advisory_lock($1)", RELAY_LOCK_ID
                ):
                    await asyncio.sleep(self.settings.outbox_poll_interval_s)
                await lock_conn.add_listener(NOTIFY_CHANNEL, self._notified)
                connection = await connect(self.settings, name=f"{self.name}-outbox-relay")
                try:
                    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                    exchange = await declare_events_exchange(channel, self.names)
                    await self._loop(pool, exchange)
                finally:
                    await connection.close()
            finally:
                await _release_session_state(lock_conn, self._notified)

    def _notified(self, *_: Any) -> None:
        self._wake.set()

    async def _loop(self, pool: asyncpg.Pool, exchange: AbstractExchange) -> None:
        prune_every = 3600.0
        last_prune = 0.0
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            sent = await self.publish_batch(pool, exchange)
            if loop.time() - last_prune > prune_every:
                await self.prune(pool)
                last_prune = loop.time()
            if sent < self.settings.outbox_batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.outbox_poll_interval_s)

    async def publish_batch(self, pool: asyncpg.Pool, exchange: AbstractExchange) -> int:
        rows = await pool.fetch(FETCH_PENDING, self.settings.outbox_batch_size)
        metrics.outbox_lag.labels(self.name).set(rows[0]["age"] if rows else 0.0)
        if not rows:
            return 0
        # One channel keeps publication order; confirms are awaited together for throughput.
        results = await asyncio.gather(
            *(exchange.publish(amqp_message(row["envelope"]), routing_key=row["type"], mandatory=True)
              for row in rows),
            return_exceptions=True,
        )
        confirmed: list[int] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                metrics.outbox_failures.labels(self.name).inc()
                await pool.execute(MARK_FAILED, row["seq"], str(result)[:500])
                log.warning("outbox_publish_failed", event_id=str(row["id"]), error=str(result))
                break  # keep order: later rows go out after this one succeeds
            confirmed.append(row["seq"])
        if confirmed:
            await pool.execute(MARK_PUBLISHED, confirmed)
            self.published += len(confirmed)
            metrics.outbox_published_rows(self.name, [row["age"] for row in rows[:len(confirmed)]])
        if len(confirmed) < len(rows):
            raise RuntimeError("outbox publish failed; reconnecting")
        return len(confirmed)

    async def prune(self, pool: asyncpg.Pool) -> int:
        status = await pool.execute(PRUNE_PUBLISHED, self.settings.outbox_retention_days)
        return int(status.split()[-1])


async def _release_session_state(conn: Conn, listener: Any) -> None:
    """Pool connections are not reset on release (libs.common.db.PooledConnection): undo the LISTEN
    and the leader lock here, or close the connection rather than hand it back holding them."""
    try:
        await asyncio.shield(_unlisten_and_unlock(conn, listener))
    except BaseException:
        conn.terminate()
        raise


async def _unlisten_and_unlock(conn: Conn, listener: Any) -> None:
    await conn.remove_listener(NOTIFY_CHANNEL, listener)  # UNLISTEN once no callback is left
    await conn.execute("SELECT pg_advisory_unlock_all()")
