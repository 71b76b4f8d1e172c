"""Screening off the event loop: a message longer than `INLINE_CHARS` is screened in a worker thread,
so one long message does not stall every other visitor's request on the same loop. Short messages
(about 1 ms) stay inline, where a thread hop would cost more than it saves.

The screening code holds the GIL while it runs; the loop gets it back at every switch interval
(`sys.getswitchinterval()`, 5 ms by default) and between the C calls (each regex call and numpy step
is short: rules are anchored, see screening/anchors.py). `bench/security_screen.py` measures the
loop's stalls while long messages are screened this way.
"""

from __future__ import annotations

import asyncio

from libs.guard.screening import GuardFlags, Screener, Screening

INLINE_CHARS = 300


async def screen(screener: Screener, text: str, flags: GuardFlags | None = None) -> Screening:
    if len(text) <= INLINE_CHARS:
        return screener.screen(text, flags)
    return await asyncio.to_thread(screener.screen, text, flags)
