"""Event loop choice for every long-running command: uvloop when installed, else asyncio's own.

uvloop (libuv, in C) runs the same asyncio code with a fraction of the loop and transport overhead;
asyncpg is written with it in mind, and every service here spends most of its CPU in socket I/O
(broker frames, database round trips, HTTP). `COMPTOIR_EVENT_LOOP=asyncio` forces the standard loop
(to compare, or to debug with asyncio's debug mode); `uvloop` requires it.
"""

from __future__ import annotations

import asyncio
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
