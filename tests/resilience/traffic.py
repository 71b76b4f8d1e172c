"""Visitors for fault tests: each sends distinct questions in a loop and records every answer."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

SUBJECTS = ["une suspension en laiton", "une applique murale", "un lampadaire en chêne", "une lampe de chevet",
            "une guirlande lumineuse", "un plafonnier LED", "une lampe de bureau", "une ampoule E27"]
ASKS = ["Quels sont les délais de livraison pour {}", "Puis-je retourner {}", "Quelle garantie pour {}",
        "Livrez-vous {} en Belgique", "Comment entretenir {}", "Avez-vous {} en stock"]


def questions() -> itertools.cycle[str]:
    return itertools.cycle([f"{ask.format(subject)} ? (n°{n})" for n, (ask, subject)
                            in enumerate(itertools.product(ASKS, SUBJECTS))])


@dataclass
class Outcome:
    at: float
    status: int
    error: str | None
    retry_after: str | None
    streamed: bool


@dataclass
class Traffic:
    base_url: str
    outcomes: list[Outcome] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    transport: httpx.AsyncBaseTransport | None = None  # an in-process app (httpx.ASGITransport)

    async def visitor(self, w: int, pause: float = 0.05) -> None:
        asked = questions()
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60, transport=self.transport) as http:
            i = 0
            while not self.stop.is_set():
                streamed = (w + i) % 2 == 1
                self.outcomes.append(await turn(http, next(asked), streamed))
                i += 1
                await asyncio.sleep(pause)

    async def run(self, visitors: int) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self.visitor(w)) for w in range(visitors)]

    async def answered(self, count: int, within: float = 60.0) -> None:
        """Until `count` turns were answered 200; fails with what was answered after `within` seconds."""
        deadline = time.monotonic() + within
        while sum(o.status == 200 for o in self.outcomes) < count:
            assert time.monotonic() < deadline, f"not {count} turns answered within {within:g} s: {self.outcomes[-5:]}"
            await asyncio.sleep(0.1)

    def since(self, moment: float) -> list[Outcome]:
        return [o for o in self.outcomes if o.at >= moment]


async def turn(http: httpx.AsyncClient, message: str, streamed: bool = False) -> Outcome:
    body: dict[str, Any] = {"message": message}
    try:
        if streamed:
            async with http.stream("POST", "/v1/chat/messages/stream", json=body) as response:
                text = (await response.aread()).decode()
                error = None
                if response.status_code == 200 and "event: done" not in text:
                    error = "stream_error" if "event: error" in text else "stream_incomplete"
                elif response.status_code != 200:
                    error = _error_code(text)
                return Outcome(time.monotonic(), response.status_code, error,
                               response.headers.get("retry-after"), True)
        response = await http.post("/v1/chat/messages", json=body)
        error = None if response.status_code == 200 else _error_code(response.text)
        return Outcome(time.monotonic(), response.status_code, error, response.headers.get("retry-after"), False)
    except httpx.HTTPError as exc:
        return Outcome(time.monotonic(), 0, type(exc).__name__, None, streamed)


def _error_code(text: str) -> str:
    import json

    try:
        return str(json.loads(text).get("error"))
    except ValueError:
        return text[:80]
