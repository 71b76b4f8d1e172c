"""The widget sends an Idempotency-Key with each message and the same key when it retries it."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.browser.test_widget import ANSWER, CHROMIUM, CHROMIUM_ARGS, comptoir_up  # noqa: F401 (fixture)
from tests.fakes.llm_server import Step

pytestmark = pytest.mark.browser


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian chromium is not installed (.ci/run installs it)")
async def test_a_retried_message_reuses_its_idempotency_key(comptoir_up: Any) -> None:  # noqa: F811
    from playwright.async_api import Route, async_playwright

    base, fake = comptoir_up
    fake.script(Step(text=ANSWER))
    keys: list[str] = []

    async def flaky(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            await route.abort("connectionreset")  # the first try never reaches the gateway
        else:
            await route.continue_()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="fr-FR")
            await page.route("**/v1/chat/messages/stream", flaky)
            await page.goto(f"{base}/")
            await page.get_by_role("button", name="Ouvrir le chat").click()
            box = page.get_by_role("textbox", name="Votre message")
            await box.fill("Livrez-vous en Belgique ?")
            await box.press("Enter")
            await page.get_by_role("button", name="Réessayer").click(timeout=15_000)
            await page.locator("li.msg.assistant[data-done='true']").wait_for(timeout=30_000)
            await box.fill("Et en Suisse ?")
            await box.press("Enter")
            await page.locator("li.msg.assistant[data-done='true']").nth(1).wait_for(timeout=30_000)
        finally:
            await browser.close()
    assert len(keys) == 3 and all(keys)
    assert keys[0] == keys[1]  # the retry is the same request
    assert keys[2] != keys[0]  # a new message is a new one
