"""Resources of the chat service, made once at start-up (app.py) and handed to every handler."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from libs.common.events.chat import ChatReplyDelta
from libs.common.flags import FlagWatcher
from libs.common.llm import LLMClient
from libs.common.logging import get_logger
from libs.common.messages import Envelope
from libs.guard.output_guard import OutputGuard
from libs.guard.screening import Screener
from services.chat import repo
from services.chat.config import ChatSettings
from services.chat.context_embedding import ContextEmbedder
from services.chat.slots import TurnSlots

log = get_logger(__name__)


@dataclass(frozen=True)
class ShopConfig:
    chat_config: dict[str, Any]
    prompt: str | None
    facts: list[tuple[str, str, str]]

    def setting(self, name: str, default: int) -> int:
        try:
            return int(self.chat_config.get(name, default))
        except (TypeError, ValueError):
            return default


class ConfigCache:
    """chat_config, the prompt and the facts change rarely: read them at most every `ttl_s` seconds."""

    def __init__(self, pool: asyncpg.Pool, ttl_s: float) -> None:
        self.pool = pool
        self.ttl_s = ttl_s
        self._value: ShopConfig | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> ShopConfig:
        if self._value is not None and time.monotonic() - self._at < self.ttl_s:
            return self._value
        async with self._lock:
            if self._value is None or time.monotonic() - self._at >= self.ttl_s:
                async with self.pool.acquire() as conn:
                    self._value = ShopConfig(
                        await repo.chat_config(conn), await repo.prompt(conn), await repo.facts(conn)
                    )
                self._at = time.monotonic()
        return self._value

    def invalidate(self) -> None:
        self._value = None


class DeltaPublisher:
    """Publishes `chat.reply.delta` envelopes to a gateway's reply queue (default exchange).

    Not persistent, not mandatory: a delta whose reader went away is dropped by the broker, and the
    final RPC reply carries the whole answer anyway.
    """

    def __init__(self, channel: AbstractChannel) -> None:
        self.channel = channel

    async def publish(self, routing_key: str, delta: ChatReplyDelta) -> None:
        envelope = Envelope.wrap(delta, source="chat", session_id=delta.session_id)
        message = aio_pika.Message(
            envelope.model_dump_json().encode(),
            content_type="application/json",
            correlation_id=delta.request_id,
            type=ChatReplyDelta.TYPE,
            delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
        )
        try:
            await self.channel.default_exchange.publish(message, routing_key=routing_key, mandatory=False)
        except Exception as exc:  # display only: never fail a turn for a lost delta
            log.warning("delta_publish_failed", error=str(exc), request_id=delta.request_id)


@dataclass
class ChatDeps:
    settings: ChatSettings
    llm: LLMClient
    flags: FlagWatcher
    config: ConfigCache
    publisher: DeltaPublisher | None = None
    screener: Screener | None = None
    guard: OutputGuard | None = None
    contexts: ContextEmbedder | None = None
    stream_connection: AbstractRobustConnection | None = None  # the publisher's, closed at shut-down
    slots: TurnSlots = field(init=False)

    def __post_init__(self) -> None:
        self.slots = TurnSlots(self.settings.turn_slots)

    def embed_context(self, key: str, summary: str) -> None:
        if self.contexts is not None:
            self.contexts.schedule(key, summary)
