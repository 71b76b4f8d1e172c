"""Streamed reply deltas: one exclusive, auto-delete queue per gateway process, routed by request_id.

The chat service publishes each delta of a turn to the queue named in the turn's `stream_to`; this
router hands them to the waiting HTTP stream. A delta for a request nobody waits for (the client went
away) is dropped: the final reply still comes through request/reply and is stored by chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection

from libs.common.errors import InvalidMessage
from libs.common.logging import get_logger
from libs.common.messages import Envelope, Message

log = get_logger("gateway.streams")


class StreamRouter:
    def __init__(self, connection: AbstractRobustConnection, name: str, *, prefetch: int = 256) -> None:
        self._connection = connection
        self._name = name
        self._prefetch = prefetch
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._waiting: dict[str, asyncio.Queue[Message]] = {}

    @property
    def queue_name(self) -> str:
        if self._queue is None:
            raise RuntimeError("StreamRouter.start() was not called")
        return self._queue.name

    async def start(self) -> None:
        self._channel = await self._connection.channel()
        await self._channel.set_qos(prefetch_count=self._prefetch)
        # named by us, not by the server: a robust connection re-declares it after a reconnect and
        # clients may not declare the server's reserved `amq.gen-` names
        self._queue = await self._channel.declare_queue(
            self._name, exclusive=True, auto_delete=True, durable=False
        )
        await self._queue.consume(self._on_delta, no_ack=True)

    async def close(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    @asynccontextmanager
    async def subscribe(self, request_id: str) -> AsyncIterator[asyncio.Queue[Message]]:
        queue: asyncio.Queue[Message] = asyncio.Queue()
        self._waiting[request_id] = queue
        try:
            yield queue
        finally:
            self._waiting.pop(request_id, None)

    async def _on_delta(self, message: AbstractIncomingMessage) -> None:
        try:
            payload = Envelope.decode(message.body).payload()
        except InvalidMessage as exc:
            log.warning("stream_delta_invalid", error=str(exc))
            return
        request_id: Any = getattr(payload, "request_id", None)
        waiting = self._waiting.get(str(request_id))
        if waiting is not None:
            waiting.put_nowait(payload)
