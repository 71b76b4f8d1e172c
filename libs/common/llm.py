"""Client for any OpenAI-compatible chat-completions endpoint (OpenAI, Mistral, Ollama, vLLM, llama.cpp).

Streaming and tool calls, a timeout per attempt, bounded retries with full jitter on transient errors
(connection failures, timeouts, 408/409/429/5xx), and a circuit breaker so a dead endpoint costs
callers nothing while it is open: they get `LLMUnavailable` at once and fall back to grounded mode.
A stream is retried only until its first delta was handed out; after that a failure is final.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import orjson
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.common import metrics
from libs.common.errors import ComptoirError
from libs.common.logging import get_logger

log = get_logger(__name__)
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LLM_", env_file=".env", extra="ignore")

    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout_s: float = Field(20.0, gt=0)
    connect_timeout_s: float = Field(3.0, gt=0)
    max_retries: int = Field(2, ge=0, le=10)
    backoff_base_s: float = Field(0.2, ge=0)
    backoff_max_s: float = Field(2.0, ge=0)
    breaker_failures: int = Field(5, ge=1)
    breaker_reset_s: float = Field(30.0, gt=0)
    temperature: float = Field(0.3, ge=0, le=2)
    max_tokens: int = Field(600, ge=1)
    # Concurrent connections to the endpoint, all kept alive (a pool smaller than the concurrency
    # reconnects for every request beyond it).
    max_connections: int = Field(128, ge=1)

    @property
    def configured(self) -> bool:
        return bool(self.base_url)


class LLMError(ComptoirError):
    """The endpoint could not give an answer; callers fall back."""


class LLMUnavailable(LLMError):
    """Not configured, or the circuit breaker is open."""


class LLMTimeout(LLMError):
    pass


class LLMHTTPError(LLMError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"LLM endpoint answered {status}: {message}")
        self.status = status


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str

    def parsed_arguments(self) -> dict[str, Any]:
        try:
            value = json.loads(self.arguments or "{}")
        except json.JSONDecodeError as exc:
            raise LLMError(f"tool call {self.name} has invalid JSON arguments") from exc
        if not isinstance(value, dict):
            raise LLMError(f"tool call {self.name} arguments are not an object")
        return value


@dataclass(frozen=True)
class Completion:
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    model: str = ""


@dataclass(frozen=True)
class StreamEvent:
    """A text delta while streaming; the last event carries the whole `completion`."""

    text: str = ""
    completion: Completion | None = None


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; after `reset_s` lets one trial call through."""

    def __init__(self, threshold: int, reset_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.reset_s = reset_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self.reset_s else "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_in_flight or self._failures >= self.threshold:
            self._opened_at = self._clock()
        self._trial_in_flight = False


def _backoff(attempt: int, base: float, cap: float, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(retry_after, cap)
    return random.uniform(0, min(cap, base * 2**attempt))


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return float(headers.get("retry-after", ""))
    except ValueError:
        return None


def _error_text(payload: bytes) -> str:
    try:
        body = orjson.loads(payload)
        return str(body.get("error", {}).get("message") or body)[:300]
    except (ValueError, AttributeError):
        return payload.decode("utf-8", "replace")[:300]


class _Retryable(LLMError):
    def __init__(self, error: LLMError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class _ToolCallBuilder:
    def __init__(self) -> None:
        self.parts: dict[int, dict[str, str]] = {}

    def add(self, fragments: list[dict[str, Any]]) -> None:
        for frag in fragments:
            part = self.parts.setdefault(int(frag.get("index", 0)), {"id": "", "name": "", "arguments": ""})
            part["id"] = frag.get("id") or part["id"]
            function = frag.get("function") or {}
            part["name"] += function.get("name") or ""
            part["arguments"] += function.get("arguments") or ""

    def build(self) -> tuple[ToolCall, ...]:
        return tuple(ToolCall(**self.parts[i]) for i in sorted(self.parts))


def _parse_completion(body: dict[str, Any]) -> Completion:
    try:
        choice = body["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"malformed chat completion: {str(body)[:200]}") from exc
    calls = tuple(
        ToolCall(id=c.get("id", ""), name=c["function"]["name"], arguments=c["function"].get("arguments", ""))
        for c in message.get("tool_calls") or []
    )
    return Completion(
        content=message.get("content") or "",
        tool_calls=calls,
        finish_reason=choice.get("finish_reason"),
        usage=body.get("usage") or {},
        model=body.get("model", ""),
    )


def env_proxy(url: str) -> tuple[str | None, dict[str, str] | None]:
    """The proxy the environment names for `url` (HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, NO_PROXY
    honoured, as curl and aiohttp read them) and its Proxy-Authorization header when the proxy's
    address carries a user; (None, None) for a direct connection."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    if not proxies or urllib.request.proxy_bypass(parts.hostname or ""):
        return None, None
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy is None:
        return None, None
    address = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if address.username is None:
        return address.geturl(), None
    user = f"{unquote(address.username)}:{unquote(address.password or '')}"
    bare = address._replace(netloc=address.netloc.rpartition("@")[2])
    return bare.geturl(), {"Proxy-Authorization": "Basic " + base64.b64encode(user.encode()).decode()}


class LLMClient:
    """One per service, made at start-up (`async with LLMClient(settings) as llm`)."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_reset_s)
        self._headers = {"content-type": "application/json"}
        if settings.api_key is not None:
            self._headers["authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self._url = (settings.base_url or "http://unconfigured.invalid").rstrip("/") + "/chat/completions"
        self._proxy, self._proxy_headers = env_proxy(self._url)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        """aiohttp, made on first use (inside the event loop); cheaper per call than httpx. Connections
        are kept alive, up to `max_connections`. The proxy from the environment was looked up once
        (`env_proxy`): aiohttp's own `trust_env` looks it and ~/.netrc up again on every call, in a
        worker thread. Both measured: docs/benchmarks.md, "Measured choices in the code"."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.settings.connect_timeout_s),
                connector=aiohttp.TCPConnector(limit=self.settings.max_connections),
                trust_env=False,
            )
        return self._session

    def _post(self, body: dict[str, Any]) -> aiohttp.client._RequestContextManager:
        return self._http().post(self._url, data=orjson.dumps(body), proxy=self._proxy,
                                 proxy_headers=self._proxy_headers)

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def available(self) -> bool:
        return self.settings.configured and self.breaker.state != "open"

    def _body(
        self,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]] | None,
        stream: bool,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": list(messages),
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
            "stream": stream,
        }
        if tools:
            body["tools"] = list(tools)
        body.update(extra)
        return body

    def _check_allowed(self) -> None:
        if not self.settings.configured:
            raise LLMUnavailable("no LLM endpoint configured (LLM_BASE_URL)")
        if not self.breaker.allow():
            error = LLMUnavailable("LLM circuit breaker is open")
            _count_error(self.settings.model, error)
            raise error

    def _attempts(self) -> Iterator[int]:
        """Yields attempt numbers, checking the breaker before each; the caller returns on success."""
        for attempt in range(self.settings.max_retries + 1):
            self._check_allowed()
            yield attempt

    async def complete(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> Completion:
        body = self._body(messages, tools, False, extra)
        last: LLMError = LLMError("no attempt made")
        started = time.perf_counter()
        for attempt in self._attempts():
            try:
                completion = await self._complete_once(body)
            except _Retryable as exc:
                last = self._failed(exc.error, attempt)
                await self._sleep_before_retry(attempt, exc.retry_after)
                continue
            except LLMError as exc:
                self.breaker.record_success()  # the endpoint is alive; the request was wrong
                _count_error(self.settings.model, exc)
                raise
            self.breaker.record_success()
            _count_done(self.settings.model, completion, "complete", started)
            return completion
        raise last

    async def _complete_once(self, body: dict[str, Any]) -> Completion:
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                async with self._post(body) as response:
                    status, headers, payload = response.status, response.headers, await response.read()
        except TimeoutError as exc:
            raise _Retryable(LLMTimeout(f"LLM call timed out after {self.settings.timeout_s}s")) from exc
        except aiohttp.ClientError as exc:
            raise _Retryable(LLMError(f"LLM endpoint unreachable: {exc!r}")) from exc
        self._raise_for_status(status, headers, payload)
        try:
            return _parse_completion(orjson.loads(payload))
        except ValueError as exc:
            raise _Retryable(LLMError("LLM endpoint sent a non-JSON body")) from exc

    def _raise_for_status(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
        if status < 400:
            return
        error = LLMHTTPError(status, _error_text(payload))
        if status in RETRYABLE_STATUS:
            raise _Retryable(error, _retry_after(headers))
        raise error

    def _failed(self, error: LLMError, attempt: int) -> LLMError:
        self.breaker.record_failure()
        _count_error(self.settings.model, error)
        log.warning("llm.attempt_failed", attempt=attempt, error=str(error), breaker=self.breaker.state)
        return error

    async def _sleep_before_retry(self, attempt: int, retry_after: float | None) -> None:
        if attempt < self.settings.max_retries:
            await asyncio.sleep(
                _backoff(attempt, self.settings.backoff_base_s, self.settings.backoff_max_s, retry_after)
            )

    async def stream(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> AsyncIterator[StreamEvent]:
        body = self._body(messages, tools, True, extra)
        last: LLMError = LLMError("no attempt made")
        began = time.perf_counter()
        for attempt in self._attempts():
            started = False
            try:
                async for event in self._stream_once(body):
                    started = True
                    if event.completion is not None:
                        _count_done(self.settings.model, event.completion, "stream", began)
                    yield event
            except _Retryable as exc:
                last = self._failed(exc.error, attempt)
                if started:
                    raise exc.error from exc
                await self._sleep_before_retry(attempt, exc.retry_after)
                continue
            except LLMError as exc:
                self.breaker.record_success()
                _count_error(self.settings.model, exc)
                raise
            self.breaker.record_success()
            return
        raise last

    async def _stream_once(self, body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        deadline = asyncio.get_running_loop().time() + self.settings.timeout_s
        try:
            async with asyncio.timeout_at(deadline):
                response = await self._post(body)
        except TimeoutError as exc:
            timeout = LLMTimeout(f"LLM stream did not start within {self.settings.timeout_s}s")
            raise _Retryable(timeout) from exc
        except aiohttp.ClientError as exc:
            raise _Retryable(LLMError(f"LLM endpoint unreachable: {exc!r}")) from exc
        try:
            if response.status >= 400:
                try:
                    async with asyncio.timeout_at(deadline):
                        payload = await response.read()
                except (TimeoutError, aiohttp.ClientError):
                    payload = b""
                self._raise_for_status(response.status, response.headers, payload)
            async for event in self._read_sse(response, deadline):
                yield event
        finally:
            response.release()

    async def _read_sse(self, response: aiohttp.ClientResponse, deadline: float) -> AsyncIterator[StreamEvent]:
        text: list[str] = []
        tools = _ToolCallBuilder()
        finish: str | None = None
        usage: dict[str, int] = {}
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    raw = await response.content.readline()
            except TimeoutError as exc:
                raise _Retryable(LLMTimeout(f"LLM stream exceeded {self.settings.timeout_s}s")) from exc
            except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a line over aiohttp's limit
                raise _Retryable(LLMError(f"LLM stream broke: {exc!r}")) from exc
            if not raw:
                raise _Retryable(LLMError("LLM stream ended without [DONE]"))
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                await _drain(response, deadline)
                break
            chunk = self._decode_chunk(data)
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                finish = choice.get("finish_reason") or finish
                tools.add(delta.get("tool_calls") or [])
                if delta.get("content"):
                    text.append(delta["content"])
                    yield StreamEvent(text=delta["content"])
        completion = Completion("".join(text), tools.build(), finish, usage, self.settings.model)
        yield StreamEvent(completion=completion)

    @staticmethod
    def _decode_chunk(data: str) -> dict[str, Any]:
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise LLMError(f"LLM stream sent invalid JSON: {data[:120]}") from exc
        if not isinstance(chunk, dict):
            raise LLMError("LLM stream chunk is not an object")
        if "error" in chunk:
            raise _Retryable(LLMError(f"LLM stream error: {str(chunk['error'])[:200]}"))
        return chunk


def _count_done(model: str, completion: Completion, mode: str, started: float) -> None:
    metrics.llm_seconds.labels(model, mode).observe(time.perf_counter() - started)
    metrics.llm_usage(model, completion.usage)


def _count_error(model: str, error: LLMError) -> None:
    kind = ("timeout" if isinstance(error, LLMTimeout) else "http" if isinstance(error, LLMHTTPError)
            else "refused" if isinstance(error, LLMUnavailable) else "unreachable")
    metrics.llm_errors.labels(model, kind).inc()


async def _drain(response: aiohttp.ClientResponse, deadline: float) -> None:
    """Read a stream to its end after [DONE]: the connection goes back to the pool only when the
    response was read through; released early, it is closed and the next request connects again."""
    with contextlib.suppress(TimeoutError, aiohttp.ClientError):
        async with asyncio.timeout_at(min(deadline, asyncio.get_running_loop().time() + 1.0)):
            while await response.content.readany():
                pass
