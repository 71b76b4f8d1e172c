"""Request/reply over RabbitMQ.

Why not FastStream's `broker.request`: it holds one lock per broker for the whole round trip, so a
process can have only one request in flight — the chat path needs dozens. This client uses
RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`) with one consumer and a future per
correlation id, so any number of requests share one channel. Requests are published with
`mandatory`, so a request to a service that is not running fails at once instead of timing out.

Connection loss: a direct reply-to consumer dies with its channel, and RabbitMQ refuses every
request on a channel without one (`PRECONDITION_FAILED - fast reply consumer does not exist`). So
when the connection drops, requests in flight fail at once with `BrokerUnavailable` (their replies
could no longer reach us), new requests fail at once while the broker is away, and once the robust
connection is back the client opens a fresh channel with a new reply consumer before it is ready.
`ready` (also registered in `libs.common.readiness`) says whether a request can be sent now.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from types import TracebackType
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from pydantic import BaseModel, ValidationError

from libs.common import metrics, readiness
from libs.common.broker import Names, connect
from libs.common.errors import BrokerUnavailable, RemoteError, RequestTimeout
from libs.common.logging import get_logger
from libs.common.messages import Envelope, Message
from libs.common.settings import Settings

log = get_logger(__name__)
ReplyT = TypeVar("ReplyT", bound=BaseModel)
# what publishing on a channel whose connection is gone raises (aio-pika, aiormq, the socket)
_CONNECTION_ERRORS = (aio_pika.exceptions.AMQPConnectionError, aio_pika.exceptions.ChannelInvalidStateError,
                      aio_pika.exceptions.ChannelClosed, ConnectionError, RuntimeError)
DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"


class ReplyError(BaseModel):
    code: str
    message: str


class Reply(BaseModel):
    ok: bool
    data: dict[str, Any] | None = None
    error: ReplyError | None = None


class RpcClient:
    def __init__(
        self,
        settings: Settings,
        *,
        source: str,
        connection: AbstractRobustConnection | None = None,
    ) -> None:
        self.settings = settings
        self.names = Names(settings)
        self.source = source
        self._connection = connection
        self._own_connection = connection is None
        self._channel: AbstractChannel | None = None
        self._pending: dict[str, asyncio.Future[AbstractIncomingMessage]] = {}
        self._consuming = False  # a reply consumer is in place on the current channel
        self._closing = False
        self._restoring: asyncio.Task[None] | None = None
        self._probe_name = f"rpc:{source}:{id(self):x}"

    async def __aenter__(self) -> RpcClient:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        if self._connection is None:
            self._connection = await connect(self.settings, name=f"{self.source}-rpc")
        self._connection.reconnect_callbacks.add(self._on_reconnect)
        self._connection.close_callbacks.add(self._on_connection_lost)
        await self._open_channel()
        readiness.register(self._probe_name, lambda: self.ready)

    @property
    def ready(self) -> bool:
        """A request sent now has a route for its reply (connection open, reply consumer in place)."""
        return (self._consuming and self._connection is not None and not self._connection.is_closed
                and self._channel is not None and not self._channel.is_closed)

    async def _open_channel(self) -> None:
        assert self._connection is not None
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        reply_queue = await channel.get_queue(DIRECT_REPLY_TO, ensure=False)
        await reply_queue.consume(self._on_reply, no_ack=True)
        old, self._channel = self._channel, channel
        self._consuming = True
        if old is not None and not old.is_closed:
            with contextlib.suppress(Exception):
                await old.close()

    def _fail_pending(self, reason: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BrokerUnavailable(reason))

    def _on_connection_lost(self, *_: Any) -> None:
        # the reply route of every request in flight is gone with the connection: fail them now
        # rather than at their timeout
        self._consuming = False
        if not self._closing:
            self._fail_pending("the broker connection was lost during the request")

    def _on_reconnect(self, *_: Any) -> None:
        # the robust connection is back and its channels restored, but a direct reply-to consumer
        # does not survive: open a fresh channel with a new one before saying ready again
        self._consuming = False
        self._fail_pending("the broker connection was reset during the request")
        self._schedule_restore()

    def _schedule_restore(self) -> None:
        if self._closing or (self._restoring is not None and not self._restoring.done()):
            return
        self._restoring = asyncio.get_running_loop().create_task(self._restore())

    async def _restore(self) -> None:
        delay = 0.1
        while not self._closing and self._connection is not None and not self._connection.is_closed:
            try:
                await self._open_channel()
                log.info("rpc_reply_consumer_restored", source=self.source)
                return
            except Exception as exc:
                log.warning("rpc_reply_consumer_restore_failed", source=self.source, error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def close(self) -> None:
        self._closing = True
        readiness.unregister(self._probe_name)
        if self._restoring is not None:
            self._restoring.cancel()
            await asyncio.gather(self._restoring, return_exceptions=True)
        for future in self._pending.values():
            future.cancel()
        if self._channel is not None and not self._channel.is_closed:
            with contextlib.suppress(Exception):
                await self._channel.close()
        if self._own_connection and self._connection is not None:
            await self._connection.close()

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(message)

    async def request(
        self,
        request_type: str,
        body: Message,
        reply_model: type[ReplyT],
        *,
        timeout: float | None = None,
        causation: Envelope | None = None,
        session_id: str | None = None,
        request_id: uuid.UUID | None = None,
    ) -> ReplyT:
        """Send a request and wait for its reply; raises RequestTimeout or RemoteError.

        `request_id` (the envelope id) names the request: a retry of a writing request with the same
        id gets the first run's reply instead of acting twice (libs/common/requestlog.py)."""
        if self._channel is None:
            raise RuntimeError("RpcClient.start() was not called")
        if not self.ready:
            raise BrokerUnavailable(f"the broker is not reachable; {request_type} was not sent")
        timeout = timeout or self.settings.rpc_timeout_s
        envelope = Envelope.wrap(body, source=self.source, causation=causation, session_id=session_id)
        if request_id is not None:
            envelope = envelope.model_copy(update={"id": request_id})
        if envelope.type != request_type:
            raise ValueError(f"body is a {envelope.type}, not a {request_type}")
        correlation_id = uuid.uuid4().hex
        future: asyncio.Future[AbstractIncomingMessage] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        message = aio_pika.Message(
            body=envelope.model_dump_json().encode(),
            message_id=str(envelope.id),
            correlation_id=correlation_id,
            reply_to=DIRECT_REPLY_TO,
            type=request_type,
            content_type="application/json",
            expiration=timeout,
        )
        started, outcome = time.perf_counter(), "failed"  # cancelled, or the channel broke
        try:
            try:
                await self._channel.default_exchange.publish(
                    message, routing_key=self.names.rpc_queue(request_type), mandatory=True
                )
            except aio_pika.exceptions.ChannelPreconditionFailed as exc:
                # the channel lost its reply consumer (closed by the broker with this error): renew it
                self._consuming = False
                self._schedule_restore()
                raise BrokerUnavailable(f"the reply route is being restored; {request_type} was not sent") from exc
            except aio_pika.exceptions.DeliveryError as exc:
                outcome = "unavailable"
                raise RemoteError("unavailable", f"no service is listening for {request_type}") from exc
            except _CONNECTION_ERRORS as exc:
                raise BrokerUnavailable(f"the broker connection is down; {request_type} was not sent") from exc
            try:
                raw = await asyncio.wait_for(future, timeout)
            except (TimeoutError, RequestTimeout) as exc:
                outcome = "timeout"
                if isinstance(exc, RequestTimeout):
                    raise
                raise RequestTimeout(f"{request_type} got no reply within {timeout:g}s") from exc
            outcome = "error"  # a reply came; decode_reply raises RemoteError for an error reply
            result = decode_reply(raw.body, reply_model, request_type)
            outcome = "ok"
            return result
        finally:
            self._pending.pop(correlation_id, None)
            metrics.rpc_done(self.source, request_type, outcome, time.perf_counter() - started)


def decode_reply(body: bytes, reply_model: type[ReplyT], request_type: str) -> ReplyT:
    try:
        reply = Reply.model_validate_json(body)
        if not reply.ok:
            error = reply.error or ReplyError(code="internal", message="unknown error")
            raise RemoteError(error.code, error.message)
        return reply_model.model_validate(reply.data or {})
    except ValidationError as exc:
        raise RemoteError("bad_reply", f"{request_type} answered with an invalid reply: {exc}") from exc
