"""Embeddings of long-term contexts, at most one per visitor every `delay` seconds.

The summary of an active conversation rolls every few turns, and embedding it (about 400 tokens
through the RAG service's model) costs more CPU than the rest of a turn. The vector only serves a
visitor who comes back later, so it may trail the summary by a few seconds: the first roll of a
conversation schedules an embedding `delay` seconds later, and rolls until then only replace the
text it will embed. A stop embeds what is still pending (bounded by `flush_timeout`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from libs.common.logging import get_logger

log = get_logger(__name__)

EmbedAndStore = Callable[[str, str], Awaitable[None]]  # (context key, summary)


class ContextEmbedder:
    def __init__(self, embed_and_store: EmbedAndStore, delay_s: float) -> None:
        self._embed_and_store = embed_and_store
        self.delay_s = delay_s
        self._pending: dict[str, str] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def schedule(self, key: str, summary: str) -> None:
        self._pending[key] = summary
        if key not in self._timers:
            self._timers[key] = asyncio.create_task(self._after_delay(key))

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def _after_delay(self, key: str) -> None:
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self._timers.pop(key, None)
        await self._run(key)

    async def _run(self, key: str) -> None:
        summary = self._pending.pop(key, None)
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
