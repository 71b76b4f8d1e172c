"""A local WhatsApp Business Cloud API (`POST /{version}/{phone-number-id}/messages`) for tests.

Bearer token checked (a wrong one: 401 with Graph error code 190), the body validated like the real
API (`messaging_product`, `to`, `type` text|template; error code 100 otherwise), answers
`{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}`. Scripted
answers: `fail_next(status, code)` answers with a Graph error body; `hold_s` delays the answer
(after recording the message: the client's timeout then leaves the outcome unknown).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes._server import LocalServer


def graph_error(status: int, code: int, message: str, kind: str = "OAuthException") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}},
                        status_code=status)


class FakeWhatsAppServer(LocalServer):
    def __init__(self, token: str = "wa-test-token", phone_number_id: str = "106540352242922") -> None:  # noqa: S107
        self.token, self.phone_number_id = token, phone_number_id
        self.messages: list[dict[str, Any]] = []
        self.failures: deque[tuple[int, int]] = deque()
        self.hold_s = 0.0
        self._ids = itertools.count(1)

    def fail_next(self, status: int, code: int, times: int = 1) -> None:
        self.failures.extend([(status, code)] * times)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{version}/{number}/messages", self.send, methods=["POST"])])

    async def send(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return graph_error(401, 190, "Error validating access token: Session has expired.")
        if request.path_params["number"] != self.phone_number_id:
            return graph_error(400, 100, "Unsupported post request. Object with ID does not exist.",
                               "GraphMethodException")
        if self.failures:
            status, code = self.failures.popleft()
            return graph_error(status, code, f"(#{code}) scripted failure")
        body = await request.json()
        problem = self._invalid(body)
        if problem:
            return graph_error(400, 100, f"(#100) {problem}")
        message_id = f"wamid.HBgLMzM2MTIzNDU2NzgVAgARGBI{next(self._ids):08d}"
        self.messages.append(body | {"id": message_id})
        if self.hold_s:
            await asyncio.sleep(self.hold_s)
        return JSONResponse({"messaging_product": "whatsapp",
                             "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                             "messages": [{"id": message_id}]})

    @staticmethod
    def _invalid(body: dict[str, Any]) -> str | None:
        if body.get("messaging_product") != "whatsapp":
            return "The parameter messaging_product is required."
        if not str(body.get("to", "")).isdigit():
            return "Invalid parameter: to"
        kind = body.get("type")
        if kind == "text" and not body.get("text", {}).get("body"):
            return "The parameter text['body'] is required."
        if kind == "template" and not body.get("template", {}).get("name"):
            return "The parameter template['name'] is required."
        if kind not in ("text", "template"):
            return f"Unsupported message type {kind!r}"
        return None
