"""Request/reply over RabbitMQ.

Why not FastStream's `broker.request`: it holds one lock per broker for the whole round trip, so a
process can have only one request in flight — the chat path needs dozens. This client uses
RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`) with one consumer and a future per
correlation id, so any number of requests share one channel. Requests are published with
`mandatory`, so a request to a service that is not running fails at once instead of timing out.
"""

from __future__ import annotations

import asyncio
import uuid
from types import TracebackType
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from pydantic import BaseModel, ValidationError

from libs.common.broker import Names, connect
from libs.common.errors import RemoteError, RequestTimeout
from libs.common.messages import Envelope, Message
from libs.common.settings import Settings

ReplyT = TypeVar("ReplyT", bound=BaseModel)
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
        await self._open_channel()

    async def _open_channel(self) -> None:
        assert self._connection is not None
        self._channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        reply_queue = await self._channel.get_queue(DIRECT_REPLY_TO, ensure=False)
        await reply_queue.consume(self._on_reply, no_ack=True)

    def _on_reconnect(self, *_: Any) -> None:
        # direct reply-to consumers do not survive a reconnect; the robust channel restores
        # its own consumer, but in-flight requests lost their reply route: fail them fast.
        for future in self._pending.values():
            if not future.done():
                future.set_exception(RequestTimeout("broker connection was reset during the request"))

    async def close(self) -> None:
        for future in self._pending.values():
            future.cancel()
        if self._channel is not None and not self._channel.is_closed:
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
    ) -> ReplyT:
        """Send a request and wait for its reply; raises RequestTimeout or RemoteError."""
        if self._channel is None:
            raise RuntimeError("RpcClient.start() was not called")
        timeout = timeout or self.settings.rpc_timeout_s
        envelope = Envelope.wrap(body, source=self.source, causation=causation, session_id=session_id)
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
        try:
            try:
                await self._channel.default_exchange.publish(
                    message, routing_key=self.names.rpc_queue(request_type), mandatory=True
                )
            except aio_pika.exceptions.DeliveryError as exc:
                raise RemoteError("unavailable", f"no service is listening for {request_type}") from exc
            try:
                raw = await asyncio.wait_for(future, timeout)
            except TimeoutError as exc:
                raise RequestTimeout(f"{request_type} got no reply within {timeout:g}s") from exc
        finally:
            self._pending.pop(correlation_id, None)
        return decode_reply(raw.body, reply_model, request_type)


def decode_reply(body: bytes, reply_model: type[ReplyT], request_type: str) -> ReplyT:
    try:
        reply = Reply.model_validate_json(body)
        if not reply.ok:
            error = reply.error or ReplyError(code="internal", message="unknown error")
            raise RemoteError(error.code, error.message)
        return reply_model.model_validate(reply.data or {})
    except ValidationError as exc:
        raise RemoteError("bad_reply", f"{request_type} answered with an invalid reply: {exc}") from exc
