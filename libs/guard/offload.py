"""Screening without stalling the event loop: a message longer than `INLINE_CHARS` is screened in steps
(`Screener.steps`: normalisation, the rules on the text, on each variant, the model…), and the loop serves
other visitors between them, so one long message holds the loop for one step (about a millisecond on
4,000 characters), never for its whole screening. Short messages (well under a millisecond) are screened
at once.

Steps run on the loop's own thread rather than in a worker: a worker holds the GIL until the switch
interval (`sys.getswitchinterval()`, 5 ms) forces it to hand over, so the loop still stalled about 5 ms at
a time, and more on a busy machine. A screener with an ONNX classifier is the exception: the inference
releases the GIL and can take tens of milliseconds, so that screening runs in a worker thread.
`bench/security_screen.py` measures the loop's stalls while long messages are screened this way.
"""

from __future__ import annotations

import asyncio

from libs.guard.screening import GuardFlags, Screener, Screening
from libs.guard.screening.screener import advance

INLINE_CHARS = 300


async def screen(screener: Screener, text: str, flags: GuardFlags | None = None) -> Screening:
    if len(text) <= INLINE_CHARS:
        return screener.screen(text, flags)
    if screener.classifier is not None:
        return await asyncio.to_thread(screener.screen, text, flags)
    steps = screener.steps(text, flags)
    while (result := advance(steps)) is None:
        # twice: timers that came due during the step join the loop's ready queue behind this task, so
        # one pause would run the next step before them
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    return result
