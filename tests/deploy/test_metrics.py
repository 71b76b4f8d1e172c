"""The platform metrics move when the real code paths run: consumers, request/reply, outbox, LLM."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import asyncpg
import pytest

from libs.common import metrics
from libs.common.broker import Names
from libs.common.errors import InvalidMessage, RemoteError, RequestTimeout
from libs.common.llm import LLMClient, LLMError, LLMSettings
from libs.common.messages import Message, message_type
from libs.common.outbox import add_event
from libs.common.rpc import RpcClient
from libs.common.service import HandlerContext, ServiceApp
from libs.common.settings import Settings
from tests.conftest import eventually, with_fresh_prefix
from tests.fakes.llm_server import FakeLLMServer, Step


@message_type("metricsvc.noted")
class Noted(Message):
    key: str
    fail: bool = False


@message_type("metricsvc.double")
class Double(Message):
    n: int


@message_type("metricsvc.doubled")
class Doubled(Message):
    n: int


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def build() -> ServiceApp:
    svc = ServiceApp("metricsvc")

    @svc.on_event("metricsvc.noted", queue="metricsvc.notes")
    async def noted(event: Noted, ctx: HandlerContext) -> None:
        if event.fail:
            raise ValueError("cannot note this")
        if event.key == "unusable":
            raise InvalidMessage("nothing to note")

    @svc.on_request("metricsvc.double")
    async def double(req: Double, ctx: HandlerContext) -> Doubled:
        if req.n < 0:
            raise RuntimeError("negative")
        if req.n > 1000:
            await asyncio.sleep(1.0)
        return Doubled(n=req.n * 2)

    return svc


@pytest.fixture
async def msettings(settings: Settings) -> Settings:
    return with_fresh_prefix(settings, COMPTOIR_DELIVERY_LIMIT=2)


async def test_consumer_and_rpc_metrics(msettings: Settings, pool: asyncpg.Pool) -> None:
    names = Names(msettings)
    queue, rpc_queue = names.queue("metricsvc.notes"), names.rpc_queue("metricsvc.double")
    svc_labels = {"service": "metricsvc", "queue": queue}
    rpc_labels = {"service": "metricsvc", "queue": rpc_queue}
    async with build().running(msettings, pool), RpcClient(msettings, source="metricstest") as rpc:
        assert (await rpc.request("metricsvc.double", Double(n=2), Doubled)).n == 4
        with pytest.raises(RemoteError):
            await rpc.request("metricsvc.double", Double(n=-1), Doubled)
        with pytest.raises(RequestTimeout):
            await rpc.request("metricsvc.double", Double(n=5000), Doubled, timeout=0.2)
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, Noted(key=uuid.uuid4().hex), source="metricstest")
            await add_event(conn, Noted(key="boom", fail=True), source="metricstest")
            await add_event(conn, Noted(key="unusable"), source="metricstest")
        connection = await aio_pika.connect(msettings.amqp_url.get_secret_value())
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(msettings.events_exchange)
            await exchange.publish(aio_pika.Message(b"not json"), routing_key="metricsvc.noted")

        async def settled() -> bool:
            # 4 messages + 1 retry of the failing one; parked: the undecodable one, the refused one,
            # the failing one after its second attempt
            return (value("comptoir_messages_parked_total", **svc_labels, reason="invalid") >= 2
                    and value("comptoir_messages_parked_total", **svc_labels, reason="exhausted") >= 1)

        await eventually(settled)
    assert value("comptoir_messages_consumed_total", **svc_labels) == 5
    assert value("comptoir_messages_failed_total", **svc_labels) == 2  # the failing event, twice
    assert value("comptoir_handler_seconds_count", **svc_labels) == 4  # decodable deliveries
    assert value("comptoir_messages_consumed_total", **rpc_labels) == 3
    assert value("comptoir_messages_failed_total", **rpc_labels) == 1
    request = {"service": "metricstest", "request": "metricsvc.double"}
    assert value("comptoir_rpc_requests_total", **request, outcome="ok") == 1
    assert value("comptoir_rpc_requests_total", **request, outcome="error") == 1
    assert value("comptoir_rpc_requests_total", **request, outcome="timeout") == 1
    assert value("comptoir_rpc_request_seconds_count", **request) == 2  # round trips only
    assert value("comptoir_outbox_published_total", service="metricsvc") >= 3
    assert value("comptoir_outbox_delay_seconds_count", service="metricsvc") >= 3
    text = metrics.render().decode()
    assert f'comptoir_messages_consumed_total{{queue="{queue}",service="metricsvc"}} 5.0' in text


async def test_request_to_nobody_counts_as_unavailable(msettings: Settings) -> None:
    labels = {"service": "metricslonely", "request": "metricsvc.double", "outcome": "unavailable"}
    async with RpcClient(msettings, source="metricslonely") as rpc:
        with pytest.raises(RemoteError):
            await rpc.request("metricsvc.double", Double(n=1), Doubled)
    assert value("comptoir_rpc_requests_total", **labels) == 1


async def test_llm_latency_tokens_and_errors() -> None:
    model = f"metrics-model-{uuid.uuid4().hex[:6]}"
    async with FakeLLMServer(api_key="sk-test") as fake:
        settings = LLMSettings.model_validate({
            "base_url": fake.base_url, "api_key": "sk-test", "model": model, "timeout_s": 2.0,
            "max_retries": 1, "backoff_base_s": 0.01, "backoff_max_s": 0.02,
        })
        fake.script(Step(text="Bonjour à vous"), Step(text="Un deux trois quatre"),
                     Step(status=503), Step(status=503), Step(status=400))
        async with LLMClient(settings) as client:
            await client.complete([{"role": "user", "content": "Bonjour"}])
            events = [e async for e in client.stream([{"role": "user", "content": "Compte"}])]
            with pytest.raises(LLMError):
                await client.complete([{"role": "user", "content": "encore"}])
            with pytest.raises(LLMError):
                await client.complete([{"role": "user", "content": "mal formé"}])
    assert events[-1].completion is not None
    assert value("comptoir_llm_request_seconds_count", model=model, mode="complete") == 1
    assert value("comptoir_llm_request_seconds_count", model=model, mode="stream") == 1
    assert value("comptoir_llm_tokens_total", model=model, kind="completion") > 0
    assert value("comptoir_llm_tokens_total", model=model, kind="prompt") > 0
    assert value("comptoir_llm_errors_total", model=model, kind="http") == 3  # two 503s, one 400


def test_exported_names_cover_every_family() -> None:
    names = metrics.exported_names()
    assert "comptoir_messages_consumed_total" in names
    assert "comptoir_handler_seconds_bucket" in names
    assert "comptoir_outbox_lag_seconds" in names
    assert not any(name.endswith("_created") for name in names)
