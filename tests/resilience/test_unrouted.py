"""platform.unrouted is bounded (length, oldest dropped first) and its depth is a metric; a queue declared
earlier without the bounds is used as it is (with a warning) instead of failing the start-up."""

from __future__ import annotations

import uuid

import aio_pika
import pytest

from libs.common.broker import Names, declare_events_exchange
from libs.common.metrics import REGISTRY
from libs.common.settings import Settings
from libs.common.unrouted import refresh_depth
from tests.conftest import with_fresh_prefix


def _gauge() -> float | None:
    return REGISTRY.get_sample_value("comptoir_unrouted_messages")


async def test_unrouted_events_are_bounded_and_counted(settings: Settings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNROUTED_MAX_MESSAGES", "5")
    ours = with_fresh_prefix(settings)
    names = Names(ours)
    connection = await aio_pika.connect_robust(ours.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        try:
            exchange = await declare_events_exchange(channel, names)
            for n in range(12):  # a type no queue is bound for
                await exchange.publish(aio_pika.Message(f"{n}".encode(), type="nobody.listens"),
                                       routing_key="nobody.listens")
            assert await refresh_depth(connection, names.unrouted_queue) == 5
            assert _gauge() == 5
            queue = await channel.get_queue(names.unrouted_queue, ensure=False)
            oldest = await queue.get(no_ack=True)
            assert oldest is not None and oldest.body == b"7"  # 0-6 were dropped, the newest kept
        finally:
            await channel.queue_delete(names.unrouted_queue)
            await channel.exchange_delete(names.events)
            await channel.exchange_delete(names.unrouted_exchange)


async def test_an_unbounded_unrouted_queue_from_before_is_kept(settings: Settings) -> None:
    ours = with_fresh_prefix(settings)
    names = Names(ours)
    connection = await aio_pika.connect_robust(ours.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(names.unrouted_queue, durable=True)  # as before: no arguments
            marker = uuid.uuid4().hex.encode()
            await channel.default_exchange.publish(aio_pika.Message(marker), routing_key=names.unrouted_queue)
            exchange = await declare_events_exchange(channel, names)  # does not fail, channel still usable
            await exchange.publish(aio_pika.Message(b"later"), routing_key="nobody.listens")
            assert await refresh_depth(connection, names.unrouted_queue) == 2
        finally:
            await channel.queue_delete(names.unrouted_queue)
            await channel.exchange_delete(names.events)
            await channel.exchange_delete(names.unrouted_exchange)
