"""Broker topology in one place.

- Events: one durable topic exchange (`COMPTOIR_EVENTS_EXCHANGE`), routed by message type. Its
  alternate exchange catches events no queue is bound for, so an event nobody consumes yet is kept
  (queue `platform.unrouted`, bounded in length and age) instead of silently dropped.
- Event queues: quorum queues `<service>.<purpose>` with a delivery limit and a dead-letter queue
  `<queue>.dlq` (durable classic, reached through the `<exchange>.dlx` exchange, routing key = queue
  name).
- Retries: `<queue>.retry` holds a failed message for its back-off (per-message TTL) and then
  dead-letters it back to `<queue>`; the attempt count travels in header `x-retry-count`.
- Requests: classic durable queues `<service>.rpc.<name>`; each request carries an expiration equal
  to its timeout, so a request nobody answered in time is not processed late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection, ExchangeType

from libs.common.errors import ConfigurationError
from libs.common.settings import Settings
from libs.common.unrouted import declare_unrouted

RETRY_HEADER = "x-retry-count"
PARK_REASON_HEADER = "x-park-reason"
PARK_QUEUE_HEADER = "x-original-queue"
RECONNECT_INTERVAL_S = 1.0


@dataclass(frozen=True)
class Names:
    settings: Settings

    @property
    def events(self) -> str:
        return self.settings.events_exchange

    @property
    def unrouted_exchange(self) -> str:
        return f"{self.events}.unrouted"

    @property
    def unrouted_queue(self) -> str:
        return self.settings.queue("platform.unrouted")

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.events}.dlx"

    def queue(self, name: str) -> str:
        return self.settings.queue(name)

    def rpc_queue(self, request_type: str) -> str:
        service, _, name = request_type.partition(".")
        return self.settings.queue(f"{service}.rpc.{name}")


def event_queue_arguments(names: Names, queue: str) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": names.settings.delivery_limit,
        "x-dead-letter-exchange": names.dead_letter_exchange,
        "x-dead-letter-routing-key": queue,
    }


class _QuietWhileConnecting:
    """aio-pika and aiormq stay at CRITICAL while at least one first connect is in progress.

    Connects overlap (a service, its RPC client and its outbox relay start together): each saving
    and restoring the levels itself would let the last one restore another's CRITICAL and silence
    the libraries' errors for the rest of the process.
    """

    def __init__(self) -> None:
        self.loggers = [logging.getLogger(n) for n in ("aio_pika", "aiormq")]
        self.saved: list[int] = []
        self.depth = 0

    def __enter__(self) -> None:
        if self.depth == 0:
            self.saved = [logger.level for logger in self.loggers]
            for logger in self.loggers:
                logger.setLevel(logging.CRITICAL)
        self.depth += 1

    def __exit__(self, *_: object) -> None:
        self.depth -= 1
        if self.depth == 0:
            for logger, level in zip(self.loggers, self.saved, strict=True):
                logger.setLevel(level)


_quiet_while_connecting = _QuietWhileConnecting()


async def connect(settings: Settings, *, name: str = "comptoir") -> AbstractRobustConnection:
    url = settings.amqp_url.get_secret_value()
    try:
        # the first connect's failure is reported once, by our error; aio-pika would also log it
        with _quiet_while_connecting:
            # reconnect every second (aio-pika waits 5 s by default): after a broker restart the
            # platform answers again within a few seconds of the broker's return
            return await aio_pika.connect_robust(url, client_properties={"connection_name": name},
                                                 timeout=10, reconnect_interval=RECONNECT_INTERVAL_S)
    except (OSError, aio_pika.exceptions.AMQPError, TimeoutError) as exc:
        safe = url.split("@")[-1]
        reason = str(exc) or type(exc).__name__
        raise ConfigurationError(f"cannot connect to RabbitMQ at {safe}: {reason}") from exc


async def declare_events_exchange(channel: AbstractChannel, names: Names) -> AbstractExchange:
    await channel.declare_exchange(names.unrouted_exchange, ExchangeType.FANOUT, durable=True)
    # parking and unrouted queues are durable classic queues: written rarely, read by operators;
    # quorum replication is kept for the queues that carry the traffic. The unrouted one is bounded
    # (length and TTL, libs/common/unrouted.py).
    await declare_unrouted(channel, names.unrouted_queue, names.unrouted_exchange)
    return await channel.declare_exchange(
        names.events, ExchangeType.TOPIC, durable=True,
        arguments={"alternate-exchange": names.unrouted_exchange},
    )


async def declare_event_queue(
    channel: AbstractChannel, names: Names, queue: str, routing_keys: list[str]
) -> None:
    """Declare `queue` (full name), its dead-letter and retry queues, and bind it to the events."""
    events = await declare_events_exchange(channel, names)
    dlx = await channel.declare_exchange(names.dead_letter_exchange, ExchangeType.DIRECT, durable=True)
    dlq = await channel.declare_queue(f"{queue}.dlq", durable=True)
    await dlq.bind(dlx, routing_key=queue)
    await channel.declare_queue(
        f"{queue}.retry", durable=True,
        arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue},
    )
    main = await channel.declare_queue(queue, durable=True, arguments=event_queue_arguments(names, queue))
    for key in routing_keys:
        await main.bind(events, routing_key=key)


async def declare_rpc_queue(channel: AbstractChannel, names: Names, request_type: str) -> str:
    queue = names.rpc_queue(request_type)
    await channel.declare_queue(queue, durable=True)
    return queue


async def delete_retired_queues(connection: aio_pika.abc.AbstractConnection, names: Names,
                                queues: tuple[str, ...]) -> list[str]:
    """Delete event queues a service no longer consumes (`<service>.<purpose>` and their `.retry` and
    `.dlq`), left on a broker that ran an older version: still bound, they would fill up for ever.
    A queue that has a consumer is kept. Returns the names deleted (a missing queue is no error)."""
    deleted = []
    for queue in queues:
        for name in (names.queue(queue), f"{names.queue(queue)}.retry", f"{names.queue(queue)}.dlq"):
            channel = await connection.channel()  # a refusal closes the channel: one per queue
            try:
                await channel.queue_delete(name, if_unused=True)
                deleted.append(name)
            except aio_pika.exceptions.ChannelClosed as exc:  # in use (PRECONDITION_FAILED)
                logging.getLogger(__name__).warning("retired queue %s kept: %s", name, exc)
            finally:
                if not channel.is_closed:
                    await channel.close()
    return deleted
