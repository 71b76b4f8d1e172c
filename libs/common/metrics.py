"""Prometheus metrics of the platform libraries, shared by every service of a process.

One registry per process (`REGISTRY`): `comptoir serve <name>` exports it on the worker's health port
(`libs.common.health`), and the gateway adds it to its own `/metrics`, so `comptoir up` (every
service in one process) shows every service's series there, told apart by the `service` label.

The hooks are small functions called from `service.py` (consumers), `rpc.py`, `outbox.py`, `llm.py`
and rag's embedder; `exported_names()` lists every series name a dashboard or an alert rule may use
(tests/deploy checks `deploy/grafana` and `deploy/prometheus` against it).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
REGISTRY = CollectorRegistry(auto_describe=True)

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SLOW = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)

consumed = Counter("comptoir_messages_consumed", "messages taken from a queue (events and requests)",
                   ["service", "queue"], registry=REGISTRY)
failed = Counter("comptoir_messages_failed", "handler failures (an event retried or parked, a request "
                 "answered with an internal error)", ["service", "queue"], registry=REGISTRY)
parked = Counter("comptoir_messages_parked", "messages parked in <queue>.dlq, by reason kind "
                 "(invalid: undecodable or refused; exhausted: delivery limit reached)",
                 ["service", "queue", "reason"], registry=REGISTRY)
duplicates = Counter("comptoir_messages_duplicate", "redeliveries skipped by the inbox",
                     ["service", "queue"], registry=REGISTRY)
handler_seconds = Histogram("comptoir_handler_seconds", "time a handler took (its transaction included)",
                            ["service", "queue"], buckets=_FAST, registry=REGISTRY)

rpc_seconds = Histogram("comptoir_rpc_request_seconds", "request/reply round trips seen by the caller",
                        ["service", "request"], buckets=_FAST, registry=REGISTRY)
rpc_requests = Counter("comptoir_rpc_requests", "requests sent, by outcome (ok, error, timeout, unavailable, failed)",
                       ["service", "request", "outcome"], registry=REGISTRY)

outbox_published = Counter("comptoir_outbox_published", "events the outbox relay published",
                           ["service"], registry=REGISTRY)
outbox_failures = Counter("comptoir_outbox_publish_failures", "events the broker refused or did not confirm",
                          ["service"], registry=REGISTRY)
outbox_delay = Histogram("comptoir_outbox_delay_seconds", "from an event's write to the relay taking it",
                         ["service"], buckets=_FAST, registry=REGISTRY)
outbox_lag = Gauge("comptoir_outbox_lag_seconds", "age of the oldest event the relay found pending in "
                   "its last batch (0 when it found none)", ["service"], registry=REGISTRY)

llm_seconds = Histogram("comptoir_llm_request_seconds", "LLM calls, retries included, until the last token",
                        ["model", "mode"], buckets=_SLOW, registry=REGISTRY)
llm_tokens = Counter("comptoir_llm_tokens", "tokens reported by the LLM endpoint (kind: prompt, completion)",
                     ["model", "kind"], registry=REGISTRY)
llm_errors = Counter("comptoir_llm_errors", "failed LLM attempts (kind: timeout, http, unreachable, refused)",
                     ["model", "kind"], registry=REGISTRY)

embedding_seconds = Histogram("comptoir_embedding_seconds", "model inference for one embed call (cache misses)",
                              ["model"], buckets=_FAST, registry=REGISTRY)
embedded_texts = Counter("comptoir_embedded_texts", "texts embedded (cache: hit or miss)", ["model", "cache"],
                         registry=REGISTRY)

_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported_names(registry: CollectorRegistry = REGISTRY) -> frozenset[str]:
    """Every series name the registry exports, used or not yet: `x_total` for a counter `x`,
    `_bucket`/`_sum`/`_count` for a histogram, the name itself for a gauge."""
    return frozenset(f"{family.name}{suffix}" for family in registry.collect()
                     for suffix in _SUFFIXES[family.type])


def render() -> bytes:
    return generate_latest(REGISTRY)


@contextlib.contextmanager
def handled(service: str, queue: str) -> Iterator[None]:
    """Count one message taken from `queue` and time its handling."""
    consumed.labels(service, queue).inc()
    started = time.perf_counter()
    try:
        yield
    finally:
        handler_seconds.labels(service, queue).observe(time.perf_counter() - started)


def rpc_done(service: str, request: str, outcome: str, seconds: float) -> None:
    rpc_requests.labels(service, request, outcome).inc()
    if outcome in ("ok", "error"):  # a round trip happened (an error reply is one too)
        rpc_seconds.labels(service, request).observe(seconds)


def outbox_published_rows(service: str, ages: list[float]) -> None:
    outbox_published.labels(service).inc(len(ages))
    delay = outbox_delay.labels(service)
    for age in ages:
        delay.observe(age)


def park_kind(exhausted: bool) -> str:
    return "exhausted" if exhausted else "invalid"


def llm_usage(model: str, usage: Mapping[str, int]) -> None:
    for kind in ("prompt", "completion"):
        count = usage.get(f"{kind}_tokens")
        if isinstance(count, int) and count > 0:
            llm_tokens.labels(model, kind).inc(count)
