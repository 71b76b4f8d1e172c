"""Live events for consoles and widgets, delivered through the broker so any gateway replica serves them.

Each gateway process binds one exclusive, auto-delete queue to the events exchange for the
conversation events (handoff asked, state changed, adviser message, visitor message while a human
holds it) and hands each to the local subscribers: every open console, and the widgets of that
session. Nothing is stored here: a widget that reconnects reads the history, a console its page.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection

from libs.common.broker import Names, declare_events_exchange
from libs.common.errors import InvalidMessage
from libs.common.logging import get_logger
from libs.common.messages import Envelope, Message
from libs.common.settings import Settings

log = get_logger("gateway.live")
LIVE_TYPES = ("chat.handoff.requested", "chat.conversation.updated", "chat.human_message.posted",
              "chat.visitor_message.received")
QUEUE_BOUND = 256  # a subscriber that stops reading loses events beyond this, never the process memory


@dataclass(frozen=True)
class LiveEvent:
    type: str
    session_id: str
    payload: Message


class LiveHub:
    def __init__(self, connection: AbstractRobustConnection, settings: Settings, name: str) -> None:
        self._connection = connection
        self._names = Names(settings)
        self._name = name
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consoles: set[asyncio.Queue[LiveEvent]] = set()
        self._sessions: dict[str, set[asyncio.Queue[LiveEvent]]] = {}

    async def start(self) -> None:
        self._channel = await self._connection.channel()
        await self._channel.set_qos(prefetch_count=256)
        exchange = await declare_events_exchange(self._channel, self._names)
        self._queue = await self._channel.declare_queue(self._name, exclusive=True, auto_delete=True,
                                                        durable=False)
        for key in LIVE_TYPES:
            await self._queue.bind(exchange, routing_key=key)
        await self._queue.consume(self._on_event, no_ack=True)

    async def close(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    @contextlib.asynccontextmanager
    async def console(self) -> AsyncIterator[asyncio.Queue[LiveEvent]]:
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue(QUEUE_BOUND)
        self._consoles.add(queue)
        try:
            yield queue
        finally:
            self._consoles.discard(queue)

    @contextlib.asynccontextmanager
    async def session(self, session_id: str) -> AsyncIterator[asyncio.Queue[LiveEvent]]:
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue(QUEUE_BOUND)
        self._sessions.setdefault(session_id, set()).add(queue)
        try:
            yield queue
        finally:
            waiting = self._sessions.get(session_id)
            if waiting is not None:
                waiting.discard(queue)
                if not waiting:
                    self._sessions.pop(session_id, None)

    @property
    def listeners(self) -> int:
        return len(self._consoles) + sum(len(v) for v in self._sessions.values())

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.decode(message.body)
            payload = envelope.payload()
        except InvalidMessage as exc:
            log.warning("live_event_invalid", error=str(exc))
            return
        session_id = str(getattr(payload, "session_id", "") or envelope.session_id or "")
        self.dispatch(LiveEvent(envelope.type, session_id, payload))

    def dispatch(self, event: LiveEvent) -> None:
        for queue in [*self._consoles, *self._sessions.get(event.session_id, ())]:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)
