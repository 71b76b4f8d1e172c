"""What the console's browser tests of the agents and workflows pages share: the gateway served by
uvicorn in the test's own process, and one Chromium page logged in as the owner."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI

from tests.browser.test_console import SHOTS, log_in, new_page
from tests.browser.test_widget import CHROMIUM, CHROMIUM_ARGS


@contextlib.asynccontextmanager
async def served(app: FastAPI, port: int) -> AsyncIterator[str]:
    """`app` on 127.0.0.1:`port` until the block ends; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def owner_page(base: str, email: str, password: str) -> AsyncIterator[Any]:
    """One logged-in owner page (the browser is closed before the servers stop)."""
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await new_page(chromium)
            await log_in(page, base, password, email)
            await page.wait_for_url("**/admin/conversations")
            yield page
        finally:
            await chromium.close()
