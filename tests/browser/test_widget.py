"""The widget in a real headless Chromium against `comptoir up` (a subprocess, as a developer runs it).

Open the demo page, ask a question, watch the answer stream in with its sources, reload, see the
conversation restored. Only the LLM is a local fake (OpenAI protocol), streaming word by word.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import RUN_ID, delete_broker_names
from tests.fakes.llm_server import FakeLLMServer, Step

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ANSWER = "Nous livrons la Belgique en 4 à 7 jours ouvrés, avec suivi du colis. [1]"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = Path(os.environ.get("COMPTOIR_SCREENSHOT", Path(tempfile.gettempdir()) / "comptoir-widget.png"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 150.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as http:
        while asyncio.get_running_loop().time() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"comptoir up exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            try:
                if (await http.get(f"{base}/readyz", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise AssertionError(f"comptoir up not ready in {timeout:g}s:\n{log.read_text()[-4000:]}")


@pytest.fixture
async def comptoir_up(fresh_dsn: str, amqp_url: str, data_dir: Path, tmp_path: Path,
                      ) -> AsyncIterator[tuple[str, FakeLLMServer]]:
    prefix = f"t{RUN_ID}up{uuid.uuid4().hex[:4]}."
    port = free_port()
    async with FakeLLMServer(default_text=ANSWER) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "LLM_", "SECURITY_"))}
        env.update({"DATABASE_URL": fresh_dsn, "AMQP_URL": amqp_url, "COMPTOIR_DATA_DIR": str(data_dir),
                    "COMPTOIR_QUEUE_PREFIX": prefix, "COMPTOIR_EVENTS_EXCHANGE": f"{prefix}events",
                    "COMPTOIR_ENV": "test", "LOG_JSON": "true", "LLM_BASE_URL": fake.base_url,
                    "LLM_API_KEY": "sk-test", "LLM_MODEL": "fake", "PYTHONUNBUFFERED": "1"})
        log = tmp_path / "comptoir-up.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "comptoir", "up", "--port", str(port)],
                                       cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(base, process, log)
            yield base, fake
            process.send_signal(signal.SIGINT)
            code = await asyncio.to_thread(process.wait, 30)
            output = log.read_text()
            assert code == 0, output[-4000:]
            assert "comptoir up: stopped" in output  # graceful: services stopped in order
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            await delete_broker_names(amqp_url, prefix)


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian chromium is not installed (.ci/run installs it)")
async def test_ask_see_a_streamed_cited_answer_reload_see_history(comptoir_up) -> None:
    from playwright.async_api import async_playwright

    base, fake = comptoir_up
    # slow the words down a little so the page visibly receives the answer in pieces
    fake.script(Step(text=ANSWER, chunk_delay_s=0.05))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="fr-FR", viewport={"width": 1000, "height": 760})
            await page.goto(f"{base}/")
            await page.get_by_role("button", name="Ouvrir le chat").click()
            box = page.get_by_role("textbox", name="Votre message")
            await box.fill("Livrez-vous en Belgique ?")
            await page.evaluate("""() => {
                window.__lengths = [];
                const root = document.querySelector('#comptoir-widget').shadowRoot;
                new MutationObserver(() => {
                    const last = [...root.querySelectorAll('li.assistant .text')].pop();
                    if (last) window.__lengths.push(last.textContent.length);
                }).observe(root, {subtree: true, childList: true, characterData: true});
            }""")
            await box.press("Enter")
            answer = page.locator("li.msg.assistant[data-done='true']")
            await answer.wait_for(timeout=30_000)
            assert ANSWER in await answer.locator(".text").inner_text()
            sources = answer.locator(".cites li")
            assert await sources.count() >= 1
            lengths = [n for n in await page.evaluate("window.__lengths") if 0 < n < len(ANSWER)]
            assert len(set(lengths)) >= 3, f"the answer did not arrive in pieces: {lengths}"
            await page.screenshot(path=str(SCREENSHOT))
            stored = await page.evaluate("Object.keys(localStorage)")
            assert {k.split(":")[1] for k in stored} >= {"session", "visitor"}

            await page.reload()
            restored = page.locator("li.msg")
            await page.locator("li.msg.user").wait_for(timeout=15_000)
            texts = await restored.locator(".text").all_inner_texts()
            assert texts[:2] == ["Livrez-vous en Belgique ?", ANSWER]
            assert await page.locator("li.msg.assistant .cites li").count() >= 1
            assert await box.evaluate("el => el === el.getRootNode().activeElement")
            assert await page.get_by_role("log").get_attribute("aria-live") == "polite"
            await page.keyboard.press("Escape")  # keyboard users close it and land back on the bubble
            bubble = page.get_by_role("button", name="Ouvrir le chat")
            assert await bubble.get_attribute("aria-expanded") == "false"
            assert await bubble.evaluate("el => el === el.getRootNode().activeElement")
        finally:
            await browser.close()
