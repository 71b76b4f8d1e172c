"""`platform.unrouted`, bounded: events no queue is bound for are kept for a while, not for ever.

The events exchange's alternate exchange sends every event nobody consumes to this queue, so an event
type published before its consumer exists is not lost silently. It is bounded by queue arguments: at
most `UNROUTED_MAX_MESSAGES` messages (the oldest dropped first) and `UNROUTED_TTL_HOURS` each.
`comptoir_unrouted_messages` is its depth, refreshed whenever the topology is declared and whenever
the gateway's /metrics is read.

A queue declared earlier without these arguments cannot be changed by a client (RabbitMQ refuses a
re-declaration with other arguments): the declaration is then tried on a throwaway channel, the queue
is used as it is, and a warning says how to bound it with a policy
(`rabbitmqctl set_policy unrouted '^platform\\.unrouted$' '{"max-length":10000,"message-ttl":604800000}'
--apply-to queues`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection
from prometheus_client import Gauge
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.common.logging import get_logger
from libs.common.metrics import REGISTRY

log = get_logger(__name__)
depth = Gauge("comptoir_unrouted_messages", "events waiting in platform.unrouted (published, consumed by no "
              "queue)", registry=REGISTRY)


class UnroutedSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UNROUTED_", env_file=".env", extra="ignore")

    max_messages: int = Field(10_000, ge=1)
    ttl_hours: float = Field(168.0, gt=0)


def unrouted_arguments(settings: UnroutedSettings | None = None) -> dict[str, Any]:
    limits = settings or UnroutedSettings()
    return {"x-max-length": limits.max_messages, "x-overflow": "drop-head",
            "x-message-ttl": int(limits.ttl_hours * 3_600_000)}


async def declare_unrouted(channel: AbstractChannel, queue: str, exchange: str) -> None:
    """Declare the bounded queue and bind it to `exchange`, on a throwaway channel of the same
    connection (a refused declaration closes the channel it was made on)."""
    underlay = await channel.get_underlay_channel()
    probe = await underlay.connection.channel()
    try:
        try:
            declared = await probe.queue_declare(queue, durable=True, arguments=unrouted_arguments())
        except aiormq.exceptions.ChannelPreconditionFailed:
            log.warning("unrouted_queue_unbounded", queue=queue,
                        hint="declared earlier without a length limit: bound it with a RabbitMQ policy "
                             "(see libs/common/unrouted.py) or delete it once empty")
            probe = await underlay.connection.channel()
            declared = await probe.queue_declare(queue, passive=True)
        await probe.queue_bind(queue, exchange)
        depth.set(declared.message_count or 0)
    finally:
        if not probe.is_closed:
            await probe.close()


async def refresh_depth(connection: AbstractConnection, queue: str, timeout: float = 1.0) -> int | None:
    """Read the queue's depth into the gauge; None when the broker does not answer in time."""
    try:
        async with asyncio.timeout(timeout):
            transport = connection.transport
            if transport is None:
                return None
            probe = await transport.connection.channel()
            try:
                declared = await probe.queue_declare(queue, passive=True)
            finally:
                if not probe.is_closed:
                    await probe.close()
    except (TimeoutError, aiormq.exceptions.AMQPError, OSError, RuntimeError):
        return None
    count = int(declared.message_count or 0)
    depth.set(count)
    return count
