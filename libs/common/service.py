"""ServiceApp: the one wiring point of a service — its consumers, request handlers and resources.

One way to write a handler (docs/architecture.md, "How to write a handler"):
- the service's dependencies are built once at start-up by the factory given to `ServiceApp(name,
  deps=...)` (and closed by `close=`), and handed to every handler typed;
- a handler is `async def handler(message: M, ctx: HandlerContext, deps: D) -> Reply | None`: the
  typed message, an immutable context (envelope, pool, transaction, emit, request) and the deps;
- a request handler declares what it does to state: `read_only=True`, `writes=True` (exactly once
  by request id, below) or `idempotent="why a repeat is harmless"`; tests/foundation checks that
  every registered request handler of every service declares one.

Consumers run on FastStream subscribers (one per queue, prefetch-bounded concurrency, manual ack)
with a shared failure policy:
- an undecodable or invalid message is parked at once in `<queue>.dlq` with the reason, and so is
  one whose handler raises `InvalidMessage`;
- an event handler runs in one transaction with its inbox row, so a redelivery has no second effect;
- a failing event handler is retried through `<queue>.retry` with exponential back-off and jitter,
  up to COMPTOIR_DELIVERY_LIMIT attempts, then parked with the last error as the reason;
- a request declared `writes=True` claims its request id (libs/common/requestlog.py); its
  `ctx.transaction()` commits when the handler returns, together with the stored reply, so a
  redelivered or retried request gets that reply instead of acting again, and one whose first run
  is still going gets an `in_progress` error reply;
- a request handler's error becomes an error reply; it never takes the consumer down.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, overload

import aio_pika
import asyncpg
import yarl
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from pydantic import BaseModel
from typing_extensions import TypeVar

from libs.common import broker as topology
from libs.common import metrics, requestlog
from libs.common.consumers import ConsumerSupervisor
from libs.common.db import Conn, create_pool, database_gone
from libs.common.errors import DATABASE_UNAVAILABLE, REQUEST_IN_PROGRESS, InvalidMessage, RemoteError
from libs.common.inbox import claim
from libs.common.logging import bind_message_context, get_logger
from libs.common.messages import Envelope, Message, model_for
from libs.common.outbox import OutboxRelay, add_event
from libs.common.rpc import Reply, ReplyError, ReplyT, RpcClient
from libs.common.settings import Settings, get_settings

log = get_logger(__name__)
T = TypeVar("T")
DepsT = TypeVar("DepsT", default=Any)  # a bare `ServiceApp` annotation means ServiceApp[Any]
H = TypeVar("H", bound=Callable[..., Awaitable[Any]])
# (message, ctx, deps): the one handler shape. The two-argument (message, ctx) shape is still run for
# services not converted yet (it reads `ctx.deps`, the start-up overrides); do not write new ones.
EventHandler = Callable[[Any, "HandlerContext", Any], Awaitable[None]]
RequestHandler = Callable[[Any, "HandlerContext", Any], Awaitable[BaseModel]]
Hook = Callable[["HandlerContext"], Awaitable[None]]
DepsFactory = Callable[["HandlerContext"], Awaitable[DepsT]]
Effect = Literal["read_only", "writes", "idempotent"]
IN_PROGRESS = REQUEST_IN_PROGRESS  # error code of a writing request whose first run is still going
# what a handler raises when the broker or the database went away under it: a retryable error reply
# (the gateway answers 503), not `internal` (502)
_BROKER_GONE = (aio_pika.exceptions.AMQPError, aio_pika.exceptions.ChannelInvalidStateError)


def unavailable_error(exc: BaseException) -> ReplyError | None:
    """The retryable error reply for a lost broker or database, None for any other failure."""
    if isinstance(exc, _BROKER_GONE):  # before OSError: aiormq's connection errors are OSErrors
        return ReplyError(code="broker_unavailable", message=f"the broker went away: {type(exc).__name__}")
    if database_gone(exc):
        return ReplyError(code=DATABASE_UNAVAILABLE, message=f"the database is unreachable: {type(exc).__name__}")
    return None

# a handler's `ctx.transaction` handed to code that does not take the context (see `in_transaction`)
Transaction = Callable[[], contextlib.AbstractAsyncContextManager[Conn]]


def in_transaction(pool: asyncpg.Pool, tx: Transaction | None = None) -> contextlib.AbstractAsyncContextManager[Conn]:
    """`tx()` when the caller handed one (a request handler's `ctx.transaction`, so a writing request
    commits with its stored reply), else a transaction of its own on `pool` (CLI, jobs)."""
    return tx() if tx is not None else _pool_transaction(pool)


@contextlib.asynccontextmanager
async def _pool_transaction(pool: asyncpg.Pool) -> AsyncIterator[Conn]:
    async with pool.acquire() as conn, conn.transaction():
        yield conn


# the connection of the transaction `ctx.transaction()` opened in this task (for `emit`)
_current_conn: contextvars.ContextVar[Conn | None] = contextvars.ContextVar("comptoir_tx_conn", default=None)


class _ClaimedTransaction:
    """The one transaction of a writing request: opened by the first `ctx.transaction()`, reused by
    the next ones, committed by the wrapper once the handler returned, with the request's reply."""

    def __init__(self, pool: asyncpg.Pool, service: str, request_id: Any, token: Any) -> None:
        self.pool, self.service, self.request_id, self.token = pool, service, request_id, token
        self._stack: contextlib.AsyncExitStack | None = None
        self._tx: Any = None
        self.conn: Conn | None = None

    @contextlib.asynccontextmanager
    async def block(self) -> AsyncIterator[Conn]:
        if self.conn is None:
            stack = contextlib.AsyncExitStack()
            try:
                conn = await stack.enter_async_context(self.pool.acquire())
                self._tx = conn.transaction()
                await self._tx.start()
            except BaseException:  # (the database went away) give the connection back, or it leaks
                self._tx = None
                await stack.aclose()
                raise
            self._stack, self.conn = stack, conn
        try:
            yield self.conn
        except BaseException:
            await self.rollback()
            raise

    async def commit(self, reply: dict[str, Any]) -> bool:
        """Store the reply and commit the effect; False (rolled back) if another run took over."""
        if self.conn is None:
            async with self.block():
                pass
        assert self.conn is not None
        try:
            if not await requestlog.finish(self.conn, self.service, self.request_id, self.token, reply):
                await self.rollback()
                return False
            await self._tx.commit()
        except BaseException:
            await self.rollback()
            raise
        await self._close()
        return True

    async def rollback(self) -> None:
        if self.conn is None:
            return
        try:
            with contextlib.suppress(Exception):
                await self._tx.rollback()
        finally:
            await self._close()

    async def _close(self) -> None:
        stack, self._stack, self.conn, self._tx = self._stack, None, None, None
        if stack is not None:
            await stack.aclose()


@dataclass(frozen=True)
class HandlerContext:
    """What a handler gets besides its message and deps. Immutable: one per message."""

    service: str
    settings: Settings
    pool: asyncpg.Pool
    rpc: RpcClient
    # start-up overrides handed to `running(deps=...)` (tests, `comptoir up`); the deps factory reads
    # them. Services not converted to typed deps yet also keep their resources here.
    deps: dict[str, Any]
    envelope: Envelope | None = None
    conn: Conn | None = None  # an event handler's transaction (the one its inbox row commits in)
    _claimed: _ClaimedTransaction | None = field(default=None, repr=False)

    def for_message(self, envelope: Envelope, conn: Conn | None = None,
                    claimed: _ClaimedTransaction | None = None) -> HandlerContext:
        return replace(self, envelope=envelope, conn=conn, _claimed=claimed)

    @property
    def request_id(self) -> str | None:
        """The id a writing request is claimed under (the envelope id)."""
        return str(self.envelope.id) if self.envelope is not None else None

    def derived_request_id(self, label: str) -> uuid.UUID | None:
        """A request id for a writing request this handler makes, the same on every run of this
        message (a redelivery, a retry under the same id), so the callee acts once for it too."""
        return uuid.uuid5(self.envelope.id, label) if self.envelope is not None else None

    async def emit(self, message: Message, *, conn: Conn | None = None, aggregate_id: str | None = None,
                   session_id: str | None = None) -> Envelope:
        """Write an event to the outbox in the current transaction (`conn`, or the one of
        `ctx.transaction()` / the event handler's)."""
        conn = conn or self.conn or _current_conn.get()
        if conn is None:
            raise RuntimeError("emit() needs a transaction: use `async with ctx.transaction() as conn`")
        return await add_event(conn, message, source=self.service, aggregate_id=aggregate_id,
                               causation=self.envelope, session_id=session_id)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """The handler's transaction. In an event handler, the one its inbox row commits in; in a
        request declared `writes=True`, one transaction for the whole request, committed with the
        stored reply when the handler returns (so do no slow work after the block); otherwise a
        new transaction, committed at the end of the block."""
        if self.conn is not None:
            yield self.conn
            return
        if self._claimed is not None:
            async with self._claimed.block() as conn:
                token = _current_conn.set(conn)
                try:
                    yield conn
                finally:
                    _current_conn.reset(token)
            return
        async with self.pool.acquire() as conn, conn.transaction():
            token = _current_conn.set(conn)
            try:
                yield conn
            finally:
                _current_conn.reset(token)

    async def request(self, request_type: str, body: Message, reply_model: type[ReplyT],
                      timeout: float | None = None, request_id: uuid.UUID | None = None) -> ReplyT:
        return await self.rpc.request(request_type, body, reply_model, timeout=timeout,
                                      causation=self.envelope, request_id=request_id)


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
    effect: Effect | None = None  # None: undeclared (tests/foundation/test_request_effects.py fails)
    reason: str | None = None  # why an `idempotent` request is harmless to repeat


@dataclass
class _Periodic:
    interval_s: float
    job: Hook


def _with_deps(handler: Callable[..., Awaitable[Any]]) -> Callable[[Any, HandlerContext, Any], Awaitable[Any]]:
    """Run a legacy two-argument (message, ctx) handler in the (message, ctx, deps) shape."""
    params = [p for p in inspect.signature(handler).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(params) >= 3:
        return handler

    async def legacy(message: Any, ctx: HandlerContext, deps: Any) -> Any:
        return await handler(message, ctx)
    legacy.__name__ = getattr(handler, "__name__", "handler")
    return legacy


class ServiceApp(Generic[DepsT]):
    """A service: `ServiceApp("chat", deps=build_deps, close=close_deps)` then register handlers."""

    @overload
    def __init__(self: ServiceApp[None], name: str, *, run_relay: bool = True) -> None: ...

    @overload
    def __init__(self, name: str, deps: DepsFactory[DepsT],
                 close: Callable[[DepsT], Awaitable[None]] | None = None, *, run_relay: bool = True) -> None: ...

    def __init__(self, name: str, deps: DepsFactory[Any] | None = None,
                 close: Callable[[Any], Awaitable[None]] | None = None, *, run_relay: bool = True) -> None:
        self.name = name
        self.deps_factory = deps
        self.close_deps = close
        self.events: list[_EventSub] = []
        self.requests: list[_RequestSub] = []
        self.startup: list[Hook] = []
        self.shutdown: list[Hook] = []
        self.periodic_jobs: list[_Periodic] = []
        self.run_relay = run_relay
        from libs.common import maintenance  # (imports this module) `<name>.maintenance.prune`, its jobs

        maintenance.install(self)

    # ---- registration -------------------------------------------------------------------------
    def on_event(self, *types: str, queue: str, prefetch: int = 16) -> Callable[[H], H]:
        """Register `async def handler(event, ctx, deps) -> None` (runs in the inbox transaction)."""
        def register(handler: H) -> H:
            self.events.append(_EventSub(queue, types, _with_deps(handler), prefetch))
            return handler
        return register

    def on_request(self, request_type: str, prefetch: int = 64, *, read_only: bool = False,
                   writes: bool = False, idempotent: str | None = None) -> Callable[[H], H]:
        """Register `async def handler(request, ctx, deps) -> ReplyModel`, declaring its effect:
        `read_only=True` (writes nothing), `writes=True` (exactly once by request id, in the
        wrapper) or `idempotent="reason"` (writes, but a repeat is harmless, said why)."""
        choices: tuple[tuple[Effect, bool], ...] = (
            ("read_only", read_only), ("writes", writes), ("idempotent", idempotent is not None))
        declared = [effect for effect, on in choices if on]
        if len(declared) > 1:
            raise ValueError(f"{request_type}: declare one of read_only, writes, idempotent")

        def register(handler: H) -> H:
            self.requests.append(_RequestSub(request_type, _with_deps(handler), prefetch,
                                             declared[0] if declared else None, idempotent))
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
    async def started(
        self, settings: Settings | None = None, pool: asyncpg.Pool | None = None,
        deps: dict[str, Any] | None = None,
    ) -> AsyncIterator[tuple[HandlerContext, DepsT]]:
        """Run the service; yields its context and the deps its factory built (for tests)."""
        runtime = _Runtime(self, settings or get_settings())
        await runtime.start(pool, deps or {})
        try:
            yield runtime.ctx, runtime.deps
        finally:
            await runtime.stop()

    @contextlib.asynccontextmanager
    async def running(
        self, settings: Settings | None = None, pool: asyncpg.Pool | None = None,
        deps: dict[str, Any] | None = None,
    ) -> AsyncIterator[HandlerContext]:
        async with self.started(settings, pool, deps) as (ctx, _):
            yield ctx

    async def run(self, settings: Settings | None = None) -> None:
        async with self.running(settings):
            await asyncio.Event().wait()

    def build_broker(self, settings: Settings) -> RabbitBroker:
        """A FastStream broker with this service's subscribers (also used for AsyncAPI docs)."""
        return _Runtime(self, settings).build_broker()


class _Runtime:
    def __init__(self, app: ServiceApp[Any], settings: Settings) -> None:
        self.app = app
        self.deps: Any = None
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
        if self.app.deps_factory is not None:
            self.deps = await self.app.deps_factory(self.ctx)
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
        if self.app.close_deps is not None and self.deps is not None:
            try:
                await self.app.close_deps(self.deps)
            except Exception as exc:
                log.warning("deps_close_failed", service=self.app.name, error=str(exc))
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
            metrics.consumed.labels(self.app.name, queue).inc()
            try:
                envelope = Envelope.decode(raw.body)
                payload = envelope.payload()
            except InvalidMessage as exc:
                await self._park(raw, queue, str(exc))
                await raw.ack()
                return
            bind_message_context(service=self.app.name, message_id=str(envelope.id), type=envelope.type,
                                 correlation_id=envelope.correlation_id, session_id=envelope.session_id)
            started = time.perf_counter()
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    if await claim(conn, sub.queue, envelope.id, envelope.type):
                        await sub.handler(payload, self.ctx.for_message(envelope, conn), self.deps)
                    else:
                        metrics.duplicates.labels(self.app.name, queue).inc()
                        log.info("duplicate_message_skipped")
            except InvalidMessage as exc:  # the handler found the message unusable: retrying cannot help
                log.error("message_parked", queue=queue, reason=str(exc))
                await self._park(raw, queue, str(exc))
            except Exception as exc:
                metrics.failed.labels(self.app.name, queue).inc()
                await self._retry_or_park(raw, queue, exc)
            finally:
                metrics.handler_seconds.labels(self.app.name, queue).observe(time.perf_counter() - started)
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
        metrics.parked.labels(self.app.name, queue, metrics.park_kind(exhausted=attempts > 0)).inc()
        headers = {topology.PARK_REASON_HEADER: reason[:1000], topology.PARK_QUEUE_HEADER: queue,
                   topology.RETRY_HEADER: attempts}
        await self.channel.default_exchange.publish(_copy(raw, headers), routing_key=f"{queue}.dlq")

    def _request_consumer(self, req: _RequestSub) -> Callable[..., Awaitable[None]]:
        queue = self.names.rpc_queue(req.request_type)

        async def consume(message: RabbitMessage) -> None:
            raw = message.raw_message
            with metrics.handled(self.app.name, queue):
                reply = await self._answer(req, raw.body, bool(raw.redelivered))
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

    async def _answer(self, req: _RequestSub, body: bytes, redelivered: bool = False) -> Reply:
        try:
            envelope = Envelope.decode(body)
            if envelope.type != req.request_type:
                raise InvalidMessage(f"expected {req.request_type}, got {envelope.type}")
            payload = envelope.payload()
        except InvalidMessage as exc:
            return Reply(ok=False, error=ReplyError(code="bad_request", message=str(exc)))
        bind_message_context(service=self.app.name, message_id=str(envelope.id), type=envelope.type,
                             correlation_id=envelope.correlation_id, session_id=envelope.session_id)
        if req.effect != "writes":
            return await self._run(req, payload, self.ctx.for_message(envelope))
        try:
            claimed = await requestlog.begin(self.pool, self.app.name, envelope.id, envelope.type,
                                             lease_s=self.settings.request_lease_s, redelivered=redelivered)
        except Exception as exc:  # the database is away: nothing ran, the caller may retry
            log.warning("request_claim_failed", request=req.request_type, error=type(exc).__name__)
            return Reply(ok=False, error=ReplyError(code=DATABASE_UNAVAILABLE, message=f"cannot claim the request: "
                                                                                       f"{type(exc).__name__}"))
        if isinstance(claimed, requestlog.Done):
            log.info("request_replayed", request=req.request_type)
            return Reply.model_validate(claimed.reply)
        if isinstance(claimed, requestlog.Busy):
            return _in_progress(envelope)
        tx = _ClaimedTransaction(self.pool, self.app.name, envelope.id, claimed.token)
        reply = await self._run(req, payload, self.ctx.for_message(envelope, claimed=tx))
        if not reply.ok:  # the effect rolled back: a retry may run again
            await tx.rollback()
            with contextlib.suppress(Exception):
                await requestlog.abandon(self.pool, self.app.name, envelope.id, claimed.token)
            return reply
        try:
            if await tx.commit(reply.model_dump(mode="json")):
                return reply
        except Exception as exc:  # unknown outcome: the lease (or a redelivery) lets a retry settle it
            gone = unavailable_error(exc)
            if gone is not None:
                log.warning("request_commit_failed", request=req.request_type, error=type(exc).__name__)
                return Reply(ok=False, error=gone)
            log.exception("request_commit_failed", request=req.request_type)
            return Reply(ok=False, error=ReplyError(code="internal", message=type(exc).__name__))
        # another run took the request over meanwhile (we were presumed gone): its outcome stands
        found = await requestlog.stored(self.pool, self.app.name, envelope.id)
        return Reply.model_validate(found.reply) if isinstance(found, requestlog.Done) else _in_progress(envelope)

    async def _run(self, req: _RequestSub, payload: Any, ctx: HandlerContext) -> Reply:
        try:
            result = await req.handler(payload, ctx, self.deps)
        except RemoteError as exc:
            return Reply(ok=False, error=ReplyError(code=exc.code, message=exc.message))
        except Exception as exc:
            metrics.failed.labels(self.app.name, self.names.rpc_queue(req.request_type)).inc()
            gone = unavailable_error(exc)
            if gone is not None:
                log.warning("request_failed", request=req.request_type, code=gone.code, error=type(exc).__name__)
                return Reply(ok=False, error=gone)
            log.exception("request_failed", request=req.request_type)
            return Reply(ok=False, error=ReplyError(code="internal", message=type(exc).__name__))
        return Reply(ok=True, data=result.model_dump(mode="json"))


def _in_progress(envelope: Envelope) -> Reply:
    return Reply(ok=False, error=ReplyError(
        code=IN_PROGRESS, message=f"request {envelope.id} is still being handled; retry later"))


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
