"""A service's consumers, kept consuming across broker restarts.

FastStream restores its subscribers' consumers after a reconnect only when every queue is usable at
that instant (FastStream #2758): after a broker restart a quorum queue is unavailable until its
leader is elected, the restore fails, and the subscriber stays without a consumer for good (seen:
every event queue of every service without a consumer after a 3 s outage, request queues fine).

So the supervisor does not rely on the restore. When the service's own robust connection comes
back (aio-pika calls its reconnect callbacks once channels are restored), it declares the topology
again (a broker that lost its data gets it back), starts a fresh FastStream broker with the same
subscribers, retrying with back-off until every subscriber consumes, then stops the old one in the
background (its consumers were on the dead connection). `ready` is False from the connection loss
until the new consumers are in place; it is registered in `libs.common.readiness`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aio_pika.abc import AbstractRobustConnection
from faststream.rabbit import RabbitBroker

from libs.common import readiness
from libs.common.logging import get_logger

log = get_logger(__name__)


class ConsumerSupervisor:
    def __init__(self, name: str, build: Callable[[], RabbitBroker], connection: AbstractRobustConnection,
                 declare: Callable[[], Awaitable[None]] | None = None) -> None:
        self.name = name
        self._build = build
        self._declare = declare
        self._connection = connection
        self.broker: RabbitBroker | None = None
        self._consuming = False
        self._closing = False
        self._renewing: asyncio.Task[None] | None = None
        self._retired: set[asyncio.Task[None]] = set()
        self._probe_name = f"consumers:{name}:{id(self):x}"
        self.renewals = 0  # how many times the consumers were started again after a reconnect

    @property
    def ready(self) -> bool:
        return self._consuming and not self._connection.is_closed

    async def start(self) -> None:
        self.broker = self._build()
        await self.broker.start()
        self._consuming = True
        self._connection.close_callbacks.add(self._on_connection_lost)
        self._connection.reconnect_callbacks.add(self._on_reconnect)
        readiness.register(self._probe_name, lambda: self.ready)

    def _on_connection_lost(self, *_: Any) -> None:
        self._consuming = False

    def _on_reconnect(self, *_: Any) -> None:
        self._consuming = False
        if self._closing or (self._renewing is not None and not self._renewing.done()):
            return
        self._renewing = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        delay = 0.2
        while not self._closing and not self._connection.is_closed:
            fresh = self._build()
            try:
                if self._declare is not None:
                    await self._declare()
                await fresh.start()
            except Exception as exc:
                log.warning("consumers_restart_failed", service=self.name, error=str(exc) or type(exc).__name__,
                            retry_in_s=delay)
                with contextlib.suppress(Exception):
                    await fresh.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            old, self.broker = self.broker, fresh
            self._consuming = True
            self.renewals += 1
            log.info("consumers_restarted", service=self.name)
            if old is not None:
                task = asyncio.get_running_loop().create_task(self._retire(old))
                self._retired.add(task)
                task.add_done_callback(self._retired.discard)
            return

    @staticmethod
    async def _retire(broker: RabbitBroker) -> None:
        with contextlib.suppress(Exception):
            await broker.stop()

    async def stop(self) -> None:
        self._closing = True
        readiness.unregister(self._probe_name)
        if self._renewing is not None:
            self._renewing.cancel()
            await asyncio.gather(self._renewing, return_exceptions=True)
        await asyncio.gather(*self._retired, return_exceptions=True)
        if self.broker is not None:
            await self.broker.stop()
