"""The real LLM client against the local OpenAI-compatible fake server."""

from __future__ import annotations

import json

import pytest

from libs.common.llm import (
    CircuitBreaker,
    LLMClient,
    LLMError,
    LLMHTTPError,
    LLMSettings,
    LLMTimeout,
    LLMUnavailable,
    StreamEvent,
    env_proxy,
)
from tests.fakes.llm_server import FakeLLMServer, Step

MESSAGES = [{"role": "system", "content": "Tu es utile."}, {"role": "user", "content": "Bonjour"}]


def _settings(fake: FakeLLMServer, **overrides: object) -> LLMSettings:
    values: dict[str, object] = {
        "base_url": fake.base_url,
        "api_key": "sk-test",
        "model": "fake-model",
        "timeout_s": 2.0,
        "max_retries": 2,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "breaker_failures": 3,
        "breaker_reset_s": 60.0,
    }
    values.update(overrides)
    return LLMSettings.model_validate(values)


@pytest.fixture
async def fake():
    async with FakeLLMServer(api_key="sk-test") as server:
        yield server


async def _collect(client: LLMClient) -> list[StreamEvent]:
    return [event async for event in client.stream(MESSAGES)]


async def test_complete_sends_model_messages_and_key(fake: FakeLLMServer) -> None:
    fake.script(Step(text="Bonjour, que puis-je faire ?"))
    async with LLMClient(_settings(fake)) as client:
        completion = await client.complete(MESSAGES)
    assert completion.content == "Bonjour, que puis-je faire ?"
    assert completion.finish_reason == "stop"
    assert completion.usage["completion_tokens"] == 5
    assert fake.requests[0]["model"] == "fake-model"
    assert fake.requests[0]["messages"] == MESSAGES
    assert fake.requests[0]["stream"] is False


async def test_wrong_key_is_a_final_error_without_retry(fake: FakeLLMServer) -> None:
    async with LLMClient(_settings(fake, api_key="wrong")) as client:
        with pytest.raises(LLMHTTPError) as info:
            await client.complete(MESSAGES)
    assert info.value.status == 401
    assert "invalid api key" in str(info.value)
    assert fake.requests == []
    assert client.breaker.state == "closed"


async def test_transient_errors_are_retried_then_succeed(fake: FakeLLMServer) -> None:
    fake.script(Step(status=503), Step(status=429, retry_after="0.01"), Step(text="ok"))
    async with LLMClient(_settings(fake)) as client:
        completion = await client.complete(MESSAGES)
    assert completion.content == "ok"
    assert len(fake.requests) == 3


async def test_retries_are_bounded(fake: FakeLLMServer) -> None:
    fake.script(*[Step(status=500)] * 5)
    async with LLMClient(_settings(fake, breaker_failures=10)) as client:
        with pytest.raises(LLMHTTPError) as info:
            await client.complete(MESSAGES)
    assert info.value.status == 500
    assert len(fake.requests) == 3


async def test_slow_endpoint_times_out(fake: FakeLLMServer) -> None:
    fake.script(Step(delay_s=1.0), Step(delay_s=1.0))
    async with LLMClient(_settings(fake, timeout_s=0.2, max_retries=1)) as client:
        with pytest.raises(LLMTimeout):
            await client.complete(MESSAGES)


async def test_breaker_opens_then_fails_fast_then_half_opens(fake: FakeLLMServer) -> None:
    fake.script(*[Step(status=502)] * 3)
    async with LLMClient(_settings(fake, max_retries=0, breaker_reset_s=0.2)) as client:
        for _ in range(3):
            with pytest.raises(LLMHTTPError):
                await client.complete(MESSAGES)
        assert client.breaker.state == "open"
        assert not client.available
        with pytest.raises(LLMUnavailable):
            await client.complete(MESSAGES)
        assert len(fake.requests) == 3
        client.breaker._opened_at = 0.0
        assert client.breaker.state == "half_open"
        assert (await client.complete(MESSAGES)).content == "Réponse de test."
        assert client.breaker.state == "closed"


def test_breaker_half_open_admits_one_trial_and_reopens_on_failure() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, reset_s=10, clock=lambda: now[0])
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 10.0
    assert breaker.allow()
    assert not breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"


async def test_unconfigured_client_is_unavailable() -> None:
    async with LLMClient(LLMSettings(base_url=None)) as client:
        assert not client.available
        with pytest.raises(LLMUnavailable):
            await client.complete(MESSAGES)


async def test_stream_yields_deltas_and_final_completion(fake: FakeLLMServer) -> None:
    fake.script(Step(text="Nos lampes sont livrées en 48 heures."))
    async with LLMClient(_settings(fake)) as client:
        events = await _collect(client)
    deltas = [e.text for e in events if e.text]
    assert len(deltas) == 7
    assert "".join(deltas) == "Nos lampes sont livrées en 48 heures."
    final = events[-1].completion
    assert final is not None and final.content == "".join(deltas) and final.finish_reason == "stop"
    assert fake.requests[0]["stream"] is True


async def test_streams_reuse_one_kept_alive_connection(fake: FakeLLMServer) -> None:
    async with LLMClient(_settings(fake)) as client:
        for _ in range(4):
            await _collect(client)
    assert len(fake.peers) == 4 and len(set(fake.peers)) == 1


async def test_stream_retries_before_first_delta(fake: FakeLLMServer) -> None:
    fake.script(Step(status=503), Step(text="deux mots"))
    async with LLMClient(_settings(fake)) as client:
        events = await _collect(client)
    assert "".join(e.text for e in events) == "deux mots"
    assert len(fake.requests) == 2


async def test_stream_cut_after_first_delta_is_not_retried(fake: FakeLLMServer) -> None:
    fake.script(Step(text="un deux trois quatre", drop_after=2), Step(text="jamais"))
    received: list[str] = []
    async with LLMClient(_settings(fake)) as client:
        with pytest.raises(LLMError):
            async for event in client.stream(MESSAGES):
                received.append(event.text)
    assert "".join(received) == "un deux"
    assert len(fake.requests) == 1


async def test_stream_stalling_between_chunks_times_out(fake: FakeLLMServer) -> None:
    fake.script(Step(text="a b c d", chunk_delay_s=0.3))
    async with LLMClient(_settings(fake, timeout_s=0.5, max_retries=0)) as client:
        with pytest.raises(LLMTimeout):
            await _collect(client)


async def test_tool_calls_complete_and_stream(fake: FakeLLMServer) -> None:
    call = {"id": "call_1", "name": "create_quote", "arguments": json.dumps({"sku": "LAMP-01", "qty": 2})}
    tools = [{"type": "function", "function": {"name": "create_quote", "parameters": {"type": "object"}}}]
    fake.script(Step(tool_calls=[call]), Step(tool_calls=[call], text=""))
    async with LLMClient(_settings(fake)) as client:
        completion = await client.complete(MESSAGES, tools=tools)
        streamed = [e async for e in client.stream(MESSAGES, tools=tools)][-1].completion
    assert completion.tool_calls[0].name == "create_quote"
    assert completion.tool_calls[0].parsed_arguments() == {"sku": "LAMP-01", "qty": 2}
    assert completion.finish_reason == "tool_calls"
    assert streamed is not None and streamed.tool_calls == completion.tool_calls
    assert fake.requests[0]["tools"] == tools


async def test_malformed_body_is_an_error_not_a_crash(fake: FakeLLMServer) -> None:
    fake.script(Step(raw_body='{"choices": []}'))
    async with LLMClient(_settings(fake)) as client:
        with pytest.raises(LLMError, match="malformed"):
            await client.complete(MESSAGES)


def test_env_proxy_is_read_once_with_no_proxy_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                 "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert env_proxy("https://api.mistral.ai/v1/chat/completions") == (None, None)
    monkeypatch.setenv("HTTPS_PROXY", "http://squid.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,.corp.example")
    assert env_proxy("https://api.mistral.ai/v1/chat/completions") == ("http://squid.internal:3128", None)
    assert env_proxy("http://api.mistral.ai/v1/chat/completions") == (None, None)  # no HTTP_PROXY
    assert env_proxy("https://llm.corp.example/v1/chat/completions") == (None, None)
    monkeypatch.setenv("HTTPS_PROXY", "http://bob:s%40cret@squid.internal:3128")
    proxy, headers = env_proxy("https://api.mistral.ai/v1/chat/completions")
    assert proxy == "http://squid.internal:3128"
    assert headers == {"Proxy-Authorization": "Basic Ym9iOnNAY3JldA=="}  # bob:s@cret


async def test_calls_go_through_the_proxy_the_environment_names(fake: FakeLLMServer,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # the fake server stands in for the proxy: the request reaches it for a host that does not resolve
    monkeypatch.setenv("HTTP_PROXY", fake.base_url.rsplit("/v1", 1)[0])
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    fake.script(Step(text="via le proxy"), Step(text="encore"))
    async with LLMClient(_settings(fake, base_url="http://llm.example.invalid/v1")) as client:
        assert (await client.complete(MESSAGES)).content == "via le proxy"
        assert (await client.complete(MESSAGES)).content == "encore"
    assert len(fake.requests) == 2
