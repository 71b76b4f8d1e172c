"""Event loop choice for every long-running command (uvloop when installed, else asyncio's own), and
the garbage collector's set-up once a service has started.

uvloop (libuv, in C) runs the same asyncio code with a fraction of the loop and transport overhead;
asyncpg is written with it in mind, and every service here spends most of its CPU in socket I/O
(broker frames, database round trips, HTTP). `COMPTOIR_EVENT_LOOP=asyncio` forces the standard loop
(to compare, or to debug with asyncio's debug mode); `uvloop` requires it.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

from libs.common.errors import ConfigurationError

T = TypeVar("T")
CHOICES = ("auto", "uvloop", "asyncio")


def loop_factory(choice: str | None = None) -> Callable[[], asyncio.AbstractEventLoop] | None:
    choice = (choice or os.environ.get("COMPTOIR_EVENT_LOOP") or "auto").strip().lower()
    if choice not in CHOICES:
        raise ConfigurationError(f"COMPTOIR_EVENT_LOOP must be one of {', '.join(CHOICES)}, got {choice!r}")
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError as exc:
        if choice == "uvloop":
            raise ConfigurationError("COMPTOIR_EVENT_LOOP=uvloop but uvloop is not installed") from exc
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Awaitable[T], choice: str | None = None) -> T:
    """asyncio.run(main) on the chosen loop."""

    async def wrapper() -> T:
        return await main

    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(wrapper())


def settle_heap() -> None:
    """Once a service has started (modules imported, models and caches loaded): collect, then move
    every surviving object to the collector's permanent generation (`gc.freeze`).

    A full collection walks every tracked object; without the freeze, each one in a running service
    walks the whole start-up heap (FastAPI, pydantic models, tokenizer and screening tables) with the
    event loop stopped (measured: docs/benchmarks.md, "Measured choices in the code"). Frozen objects
    are never collected; they live as long as the process anyway.
    `comptoir serve` calls it once its service (or the gateway) has started, `comptoir up` once
    everything has."""
    gc.collect()
    gc.freeze()
