"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

It speaks the real protocol (JSON bodies, `text/event-stream` with `data: {...}` chunks and
`data: [DONE]`, `{"error": {...}}` bodies, `Retry-After`), so `libs.common.llm.LLMClient` runs
unchanged against it. Behaviour is scripted per call with `Step`s; with the script empty it answers
`default_text` (a callable of the request body may compute it).

    async with FakeLLMServer() as fake:
        fake.script(Step(status=503), Step(text="Bonjour !"))
        settings = LLMSettings(base_url=fake.base_url, api_key="k")

Run alone (for a benchmark in another process): `python -m tests.fakes.llm_server --port 8911`.

Conversation scripts (`--script FILE`, or `FakeLLMServer(conversations=ConversationScript(...))`) replay
replies for agents: a JSON list of replies, or `{"conversations": [{"match": "text", "replies": [...]}],
"default": [...]}`. A reply is `{"text": "..."}` or `{"tool_calls": [{"name": "t", "arguments": {...}}]}`
(`arguments` may be a string, to send malformed JSON), with optional `delay_s` and `status`. The reply
given is the conversation's position: the number of assistant messages already in the request, in the
conversation whose `match` appears in its first user message. So concurrent runs never swap replies, and
a run resumed by another worker after a crash gets the same reply for the same step. Past the end of
its replies a conversation gets `default_text`. Every request received is kept (`requests`, and
`GET /v1/_requests` for another process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes._server import LocalServer


@dataclass
class Step:
    """One scripted answer. `status` ≥ 400 sends an error body; `drop_after` cuts a stream."""

    text: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    drop_after: int | None = None
    retry_after: str | None = None
    raw_body: str | None = None


TextFn = Callable[[dict[str, Any]], str]


def _reply_step(reply: dict[str, Any]) -> Step:
    def arguments(call: dict[str, Any]) -> str:
        raw = call.get("arguments", {})
        return raw if isinstance(raw, str) else json.dumps(raw)

    calls = [{"id": c.get("id", f"call_{i}"), "name": c["name"], "arguments": arguments(c)}
             for i, c in enumerate(reply.get("tool_calls") or [])]
    return Step(text=reply.get("text"), tool_calls=calls, status=int(reply.get("status", 200)),
                delay_s=float(reply.get("delay_s", 0.0)))


@dataclass
class ConversationScript:
    """Replies per conversation, chosen by the conversation's position (see the module docstring)."""

    conversations: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    default: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Any) -> ConversationScript:
        if isinstance(data, list):
            return cls(default=data)
        return cls([(c["match"], list(c["replies"])) for c in data.get("conversations", [])],
                   list(data.get("default", [])))

    @classmethod
    def load(cls, path: str) -> ConversationScript:
        with open(path, encoding="utf-8") as handle:
            return cls.from_json(json.load(handle))

    def add(self, match: str, *replies: dict[str, Any]) -> None:
        self.conversations.append((match, list(replies)))

    def step_for(self, body: dict[str, Any]) -> Step | None:
        messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
        first_user = next((str(m.get("content") or "") for m in messages if m.get("role") == "user"), "")
        position = sum(1 for m in messages if m.get("role") == "assistant")
        replies = next((r for match, r in self.conversations if match in first_user), self.default)
        return _reply_step(replies[position]) if position < len(replies) else None


class FakeLLMServer(LocalServer):
    def __init__(
        self, default_text: str | TextFn = "Réponse de test.", api_key: str | None = None, port: int = 0,
        conversations: ConversationScript | None = None,
    ) -> None:
        self.default_text = default_text
        self.conversations = conversations
        self.api_key = api_key
        self.port = port
        self.requests: list[dict[str, Any]] = []
        # (host, port) of the client end of each request's connection: the same pair = a reused connection
        self.peers: list[tuple[str, int]] = []
        self._script: deque[Step] = deque()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *steps: Step) -> None:
        self._script.extend(steps)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._completions, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/_requests", self._received, methods=["GET"]),
            ]
        )


    async def _received(self, request: Request) -> Response:
        return JSONResponse({"count": len(self.requests), "requests": self.requests})

    async def _models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    def _unauthorised(self, request: Request) -> Response | None:
        if self.api_key is None or request.headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return _error(401, "invalid api key", "invalid_request_error")

    async def _completions(self, request: Request) -> Response:
        denied = self._unauthorised(request)
        if denied is not None:
            return denied
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            return _error(400, "body is not JSON", "invalid_request_error")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "'messages' is required", "invalid_request_error")
        self.requests.append(body)
        if request.client is not None:
            self.peers.append((request.client.host, request.client.port))
        scripted = self.conversations.step_for(body) if self.conversations is not None else None
        step = scripted or (self._script.popleft() if self._script else Step())
        if step.delay_s:
            await asyncio.sleep(step.delay_s)
        if step.status >= 400:
            headers = {"retry-after": step.retry_after} if step.retry_after else None
            return _error(step.status, f"scripted failure {step.status}", "server_error", headers)
        if step.raw_body is not None:
            return Response(step.raw_body, media_type="application/json")
        text = self._text(step, body)
        if body.get("stream"):
            return StreamingResponse(self._chunks(step, text, body), media_type="text/event-stream")
        return JSONResponse(_completion(text, step.tool_calls, body, thought=step.text))

    def _text(self, step: Step, body: dict[str, Any]) -> str:
        if step.text is not None:
            return step.text
        return self.default_text(body) if callable(self.default_text) else self.default_text

    async def _chunks(self, step: Step, text: str, body: dict[str, Any]) -> AsyncIterator[bytes]:
        ident = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        pieces = _split_words(text)
        for index, piece in enumerate(pieces):
            if step.drop_after is not None and index >= step.drop_after:
                raise ConnectionResetError("scripted stream drop")
            if step.chunk_delay_s:
                await asyncio.sleep(step.chunk_delay_s)
            yield _sse(_chunk(ident, body, {"content": piece} if index else {"role": "assistant", "content": piece}))
        for index, call in enumerate(step.tool_calls):
            delta = {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call.get("id", f"call_{index}"),
                        "type": "function",
                        "function": {"name": call["name"], "arguments": call["arguments"]},
                    }
                ]
            }
            yield _sse(_chunk(ident, body, delta))
        finish = "tool_calls" if step.tool_calls else "stop"
        yield _sse(_chunk(ident, body, {}, finish))
        yield b"data: [DONE]\n\n"


def _split_words(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)] if text else []


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


def _chunk(ident: str, body: dict[str, Any], delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(text: str, tool_calls: list[dict[str, Any]], body: dict[str, Any],
                thought: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text if not tool_calls else thought}
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": c.get("id", f"call_{i}"),
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for i, c in enumerate(tool_calls)
        ]
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(text.split()),
            "total_tokens": prompt_tokens + len(text.split()),
        },
    }


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": status}}, status_code=status, headers=headers
    )


async def _serve_forever(port: int, script: str | None) -> None:
    conversations = ConversationScript.load(script) if script else None
    async with FakeLLMServer(port=port, conversations=conversations) as fake:
        print(f"fake LLM listening on {fake.base_url}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8911)
    parser.add_argument("--script", help="JSON file of replies per conversation (see the module docstring)")
    args = parser.parse_args()
    asyncio.run(_serve_forever(args.port, args.script))
