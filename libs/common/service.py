"""ServiceApp: the one wiring point of a service — its consumers, request handlers and resources.

Consumers run on FastStream subscribers (one per queue, prefetch-bounded concurrency, manual ack)
with a shared failure policy:
- an undecodable or invalid message is parked at once in `<queue>.dlq` with the reason, and so is
  one whose handler raises `InvalidMessage`;
- an event handler runs in one transaction with its inbox row, so a redelivery has no second effect;
- a failing event handler is retried through `<queue>.retry` with exponential back-off and jitter,
  up to COMPTOIR_DELIVERY_LIMIT attempts, then parked with the last error as the reason;
- a request handler's error becomes an error reply; it never takes the consumer down.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aio_pika
import asyncpg
import yarl
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from pydantic import BaseModel

from libs.common import broker as topology
from libs.common.consumers import ConsumerSupervisor
from libs.common.db import Conn, create_pool
from libs.common.errors import InvalidMessage, RemoteError
from libs.common.inbox import claim
from libs.common.logging import bind_message_context, get_logger
from libs.common.messages import Envelope, Message, model_for
from libs.common.outbox import OutboxRelay, add_event
from libs.common.rpc import Reply, ReplyError, ReplyT, RpcClient
from libs.common.settings import Settings, get_settings

log = get_logger(__name__)
T = TypeVar("T")
EventHandler = Callable[[Any, "HandlerContext"], Awaitable[None]]
RequestHandler = Callable[[Any, "HandlerContext"], Awaitable[BaseModel]]
Hook = Callable[["HandlerContext"], Awaitable[None]]


@dataclass
class HandlerContext:
    service: str
    settings: Settings
    pool: asyncpg.Pool
    rpc: RpcClient
    deps: dict[str, Any]
    envelope: Envelope | None = None
    conn: Conn | None = None

    def for_message(self, envelope: Envelope, conn: Conn | None = None) -> HandlerContext:
        return HandlerContext(self.service, self.settings, self.pool, self.rpc, self.deps, envelope, conn)

    async def emit(self, message: Message, *, aggregate_id: str | None = None,
                   session_id: str | None = None) -> Envelope:
        """Write an event to the outbox in the current transaction (see `transaction()`)."""
        if self.conn is None:
            raise RuntimeError("emit() needs a transaction: use `async with ctx.transaction()`")
        return await add_event(self.conn, message, source=self.service, aggregate_id=aggregate_id,
                               causation=self.envelope, session_id=session_id)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        if self.conn is not None:  # already inside the handler's transaction
            yield self.conn
            return
        async with self.pool.acquire() as conn, conn.transaction():
            self.conn = conn
            try:
                yield conn
            finally:
                self.conn = None

    async def request(self, request_type: str, body: Message, reply_model: type[ReplyT],
                      timeout: float | None = None) -> ReplyT:
        return await self.rpc.request(request_type, body, reply_model, timeout=timeout,
                                      causation=self.envelope)


@dataclass
class _EventSub:
    queue: str
    types: tuple[str, ...]
    handler: EventHandler
    prefetch: int


@dataclass
class _RequestSub:
    request_type: str
    handler: RequestHandler
    prefetch: int


@dataclass
class _Periodic:
    interval_s: float
    job: Hook


@dataclass
class ServiceApp:
    name: str
    events: list[_EventSub] = field(default_factory=list)
    requests: list[_RequestSub] = field(default_factory=list)
    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)
    periodic_jobs: list[_Periodic] = field(default_factory=list)
    run_relay: bool = True

    # ---- registration -------------------------------------------------------------------------
    def on_event(self, *types: str, queue: str, prefetch: int = 16) -> Callable[[EventHandler], EventHandler]:
        def register(handler: EventHandler) -> EventHandler:
            self.events.append(_EventSub(queue, types, handler, prefetch))
            return handler
        return register

    def on_request(self, request_type: str, prefetch: int = 64) -> Callable[[RequestHandler], RequestHandler]:
        def register(handler: RequestHandler) -> RequestHandler:
            self.requests.append(_RequestSub(request_type, handler, prefetch))
            return handler
        return register

    def on_startup(self, hook: Hook) -> Hook:
        self.startup.append(hook)
        return hook

    def on_shutdown(self, hook: Hook) -> Hook:
        self.shutdown.append(hook)
        return hook

    def periodic(self, interval_s: float) -> Callable[[Hook], Hook]:
        def register(job: Hook) -> Hook:
            self.periodic_jobs.append(_Periodic(interval_s, job))
            return job
        return register

    # ---- running ------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def running(
        self, settings: Settings | None = None, pool: asyncpg.Pool | None = None,
        deps: dict[str, Any] | None = None,
    ) -> AsyncIterator[HandlerContext]:
        runtime = _Runtime(self, settings or get_settings())
        await runtime.start(pool, deps or {})
        try:
            yield runtime.ctx
        finally:
            await runtime.stop()

    async def run(self, settings: Settings | None = None) -> None:
        async with self.running(settings):
            await asyncio.Event().wait()

    def build_broker(self, settings: Settings) -> RabbitBroker:
        """A FastStream broker with this service's subscribers (also used for AsyncAPI docs)."""
        return _Runtime(self, settings).build_broker()


class _Runtime:
    def __init__(self, app: ServiceApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.names = topology.Names(settings)
        self.tasks: list[asyncio.Task[None]] = []
        self._own_pool = False

    def build_broker(self) -> RabbitBroker:
        url = yarl.URL(self.settings.amqp_url.get_secret_value()).update_query(
            name=f"{self.app.name}-consumers")
        # No FastDepends: its `message: RabbitMessage` context field is resolved by a sync function,
        # which FastDepends runs in a worker thread for every message. The decoder hands the handler
        # the message itself instead.
        broker = RabbitBroker(str(url), logger=None, graceful_timeout=10.0, apply_types=False,
                              reconnect_interval=topology.RECONNECT_INTERVAL_S)
        for sub in self.app.events:
            queue = self.names.queue(sub.queue)
            broker.subscriber(
                RabbitQueue(queue, declare=False), channel=Channel(prefetch_count=sub.prefetch),
                ack_policy=AckPolicy.MANUAL, no_reply=True, title=queue, decoder=_the_message,
                description=f"{self.app.name}: {', '.join(sub.types)}",
            )(self._event_consumer(sub, queue))
        for req in self.app.requests:
            queue = self.names.rpc_queue(req.request_type)
            broker.subscriber(
                RabbitQueue(queue, declare=False), channel=Channel(prefetch_count=req.prefetch),
                ack_policy=AckPolicy.MANUAL, no_reply=True, title=queue, decoder=_the_message,
                description=f"{self.app.name}: request {req.request_type}",
            )(self._request_consumer(req))
        return broker

    async def start(self, pool: asyncpg.Pool | None, deps: dict[str, Any]) -> None:
        if pool is None:
            pool = await create_pool(self.settings)
            self._own_pool = True
        self.pool = pool
        self.connection: AbstractRobustConnection = await topology.connect(
            self.settings, name=self.app.name)
        self.channel: AbstractChannel = await self.connection.channel(publisher_confirms=True)
        # replies need no confirm: a lost reply ends in the caller's timeout (libs/common/rpc.py)
        self.reply_channel: AbstractChannel = await self.connection.channel(publisher_confirms=False)
        await self._declare_topology()
        self.rpc = RpcClient(self.settings, source=self.app.name, connection=self.connection)
        await self.rpc.start()
        self.ctx = HandlerContext(self.app.name, self.settings, pool, self.rpc, deps)
        for hook in self.app.startup:
            await hook(self.ctx)
        # consumers started again after every reconnect (FastStream does not, see libs/common/consumers.py)
        self.consumers = ConsumerSupervisor(self.app.name, self.build_broker, self.connection,
                                            declare=self._declare_topology)
        await self.consumers.start()
        if self.app.run_relay:
            self.tasks.append(asyncio.create_task(OutboxRelay(self.settings, pool, name=self.app.name).run()))
        for job in self.app.periodic_jobs:
            self.tasks.append(asyncio.create_task(self._every(job)))
        log.info("service_started", service=self.app.name, events=len(self.app.events),
                 requests=len(self.app.requests))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.consumers.stop()
        for hook in reversed(self.app.shutdown):
            with contextlib.suppress(Exception):
                await hook(self.ctx)
        await self.rpc.close()
        await self.connection.close()
        if self._own_pool:
            await self.pool.close()

    async def _declare_topology(self) -> None:
        for sub in self.app.events:
            await topology.declare_event_queue(self.channel, self.names, self.names.queue(sub.queue),
                                               list(sub.types))
        for req in self.app.requests:
            await topology.declare_rpc_queue(self.channel, self.names, req.request_type)

    async def _every(self, job: _Periodic) -> None:
        while True:
            await asyncio.sleep(job.interval_s)
            try:
                await job.job(self.ctx)
            except Exception as exc:
                log.warning("periodic_job_failed", job=job.job.__name__, error=str(exc))

    # ---- consumers ----------------------------------------------------------------------------
    def _event_consumer(self, sub: _EventSub, queue: str) -> Callable[..., Awaitable[None]]:
        async def consume(message: RabbitMessage) -> None:
            raw = message.raw_message
            try:
                envelope = Envelope.decode(raw.body)
                payload = envelope.payload()
            except InvalidMessage as exc:
                await self._park(raw, queue, str(exc))
                await raw.ack()
                return
            bind_message_context(service=self.app.name, message_id=str(envelope.id), type=envelope.type,
                                 correlation_id=envelope.correlation_id, session_id=envelope.session_id)
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    if await claim(conn, sub.queue, envelope.id, envelope.type):
                        await sub.handler(payload, self.ctx.for_message(envelope, conn))
                    else:
                        log.info("duplicate_message_skipped")
            except InvalidMessage as exc:  # the handler found the message unusable: retrying cannot help
                log.error("message_parked", queue=queue, reason=str(exc))
                await self._park(raw, queue, str(exc))
            except Exception as exc:
                await self._retry_or_park(raw, queue, exc)
            await raw.ack()
        consume.__name__ = f"consume_{sub.queue.replace('.', '_')}"
        return consume

    async def _retry_or_park(self, raw: aio_pika.abc.AbstractIncomingMessage, queue: str,
                             exc: Exception) -> None:
        attempts = int(str((raw.headers or {}).get(topology.RETRY_HEADER, 0) or 0)) + 1
        reason = f"{type(exc).__name__}: {exc}"[:1000]
        if attempts >= self.settings.delivery_limit:
            log.error("message_parked", queue=queue, attempts=attempts, reason=reason)
            await self._park(raw, queue, reason, attempts)
            return
        delay = min(30.0, 0.2 * 2 ** (attempts - 1)) * random.uniform(0.8, 1.2)
        log.warning("message_retry", queue=queue, attempt=attempts, delay_s=round(delay, 2), reason=reason)
        await self.channel.default_exchange.publish(
            _copy(raw, {topology.RETRY_HEADER: attempts, "x-last-error": reason}, expiration=delay),
            routing_key=f"{queue}.retry",
        )

    async def _park(self, raw: aio_pika.abc.AbstractIncomingMessage, queue: str, reason: str,
                    attempts: int = 0) -> None:
        headers = {topology.PARK_REASON_HEADER: reason[:1000], topology.PARK_QUEUE_HEADER: queue,
                   topology.RETRY_HEADER: attempts}
        await self.channel.default_exchange.publish(_copy(raw, headers), routing_key=f"{queue}.dlq")

    def _request_consumer(self, req: _RequestSub) -> Callable[..., Awaitable[None]]:
        async def consume(message: RabbitMessage) -> None:
            raw = message.raw_message
            reply = await self._answer(req, raw.body)
            if raw.reply_to:
                await self.reply_channel.default_exchange.publish(
                    aio_pika.Message(reply.model_dump_json().encode(), correlation_id=raw.correlation_id,
                                     content_type="application/json"),
                    routing_key=raw.reply_to,
                    # not mandatory: RabbitMQ 3.10 returns every message published to a direct reply-to
                    # address as unroutable even though it delivers it, and each return cost a logged error
                    mandatory=False,
                )
            await raw.ack()
        consume.__name__ = f"answer_{req.request_type.replace('.', '_')}"
        return consume

    async def _answer(self, req: _RequestSub, body: bytes) -> Reply:
        try:
            envelope = Envelope.decode(body)
            if envelope.type != req.request_type:
                raise InvalidMessage(f"expected {req.request_type}, got {envelope.type}")
            payload = envelope.payload()
        except InvalidMessage as exc:
            return Reply(ok=False, error=ReplyError(code="bad_request", message=str(exc)))
        bind_message_context(service=self.app.name, message_id=str(envelope.id), type=envelope.type,
                             correlation_id=envelope.correlation_id, session_id=envelope.session_id)
        try:
            result = await req.handler(payload, self.ctx.for_message(envelope))
        except RemoteError as exc:
            return Reply(ok=False, error=ReplyError(code=exc.code, message=exc.message))
        except Exception as exc:
            log.exception("request_failed", request=req.request_type)
            return Reply(ok=False, error=ReplyError(code="internal", message=type(exc).__name__))
        return Reply(ok=True, data=result.model_dump(mode="json"))


def _copy(raw: aio_pika.abc.AbstractIncomingMessage, headers: dict[str, Any],
          expiration: float | None = None) -> aio_pika.Message:
    return aio_pika.Message(
        body=raw.body,
        headers={**(raw.headers or {}), **headers},
        message_id=raw.message_id,
        correlation_id=raw.correlation_id,
        type=raw.type,
        content_type=raw.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        expiration=expiration,
        app_id=raw.app_id,
    )


def request_model(request_type: str) -> type[Message]:
    return model_for(request_type)


async def _the_message(message: RabbitMessage) -> RabbitMessage:
    """Subscriber decoder: the handler gets the message itself (we decode envelopes ourselves)."""
    return message
