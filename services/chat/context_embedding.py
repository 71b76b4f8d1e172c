"""Embeddings of long-term contexts, once a conversation pauses.

The summary of an active conversation rolls every few turns, and embedding it (about 400 tokens
through the RAG service's model) costs more CPU than the rest of a turn. The vector only serves a
visitor who comes back later, so it may trail the summary: a roll schedules an embedding of the
latest summary once the conversation has been quiet for `delay_s` (each new roll restarts the
wait), and at most `max_wait_s` after the first roll still waiting. A stop embeds what is still
pending (bounded by `flush_timeout_s`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from libs.common.logging import get_logger

log = get_logger(__name__)

EmbedAndStore = Callable[[str, str], Awaitable[None]]  # (context key, summary)


class ContextEmbedder:
    def __init__(self, embed_and_store: EmbedAndStore, delay_s: float, max_wait_s: float | None = None) -> None:
        self._embed_and_store = embed_and_store
        self.delay_s = delay_s
        self.max_wait_s = max(delay_s, max_wait_s if max_wait_s is not None else 6 * delay_s)
        self._pending: dict[str, str] = {}
        self._first: dict[str, float] = {}  # when the oldest roll still waiting came
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def schedule(self, key: str, summary: str) -> None:
        self._pending[key] = summary
        now = time.monotonic()
        first = self._first.setdefault(key, now)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        wait = max(0.0, min(self.delay_s, first + self.max_wait_s - now))
        self._timers[key] = asyncio.create_task(self._after_delay(key, wait))

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def _after_delay(self, key: str, wait: float) -> None:
        await asyncio.sleep(wait)  # a cancelled wait was replaced by a newer one (or stop())
        if self._timers.get(key) is asyncio.current_task():
            del self._timers[key]
        await self._run(key)

    async def _run(self, key: str) -> None:
        summary = self._pending.pop(key, None)
        self._first.pop(key, None)
        if summary is None:
            return
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await self._embed_and_store(key, summary)
        except Exception as exc:  # derived data: the next roll schedules it again
            log.warning("context_embedding_failed", key=key, error=str(exc) or type(exc).__name__)
        finally:
            if task is not None:
                self._running.discard(task)

    async def stop(self, flush_timeout_s: float = 5.0) -> None:
        """Cancel the timers and embed what is pending, within `flush_timeout_s`."""
        timers = list(self._timers.values())
        for timer in timers:
            timer.cancel()
        await asyncio.gather(*timers, return_exceptions=True)
        self._timers.clear()
        flush = [self._run(key) for key in list(self._pending)]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_timeout_s):
                await asyncio.gather(*flush, *self._running, return_exceptions=True)
        if self._pending:
            log.warning("context_embeddings_dropped", count=len(self._pending))
            self._pending.clear()
