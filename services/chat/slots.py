"""How many turns do their own work at once, without counting the ones waiting for the LLM.

A chat process is one event loop on one core. With every received turn running at once, fifty
concurrent turns share that core in small slices and each takes as long as the slowest; the tail
latency grows with the concurrency. Bounding the number of turns in their CPU phases (screening
results, prompt building, persistence) keeps the others queued in arrival order instead. The LLM
call, which can take seconds with a real model, gives its slot back while it waits, so a slow model
does not cap the throughput: the broker prefetch (128) bounds the turns waiting in all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class Slot:
    held: bool = False


class TurnSlots:
    def __init__(self, size: int) -> None:
        self._semaphore = asyncio.Semaphore(size)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[Slot]:
        slot = Slot()
        await self._semaphore.acquire()
        slot.held = True
        try:
            yield slot
        finally:
            if slot.held:
                self._semaphore.release()

    @asynccontextmanager
    async def waiting(self, slot: Slot) -> AsyncIterator[None]:
        """Give the slot back while waiting (for the LLM); take one again afterwards."""
        if slot.held:
            self._semaphore.release()
            slot.held = False
        try:
            yield
        finally:
            await self._semaphore.acquire()  # cancelled here: no slot taken, none to give back
            slot.held = True

    @property
    def free(self) -> int:
        return self._semaphore._value
