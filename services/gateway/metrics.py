"""Prometheus metrics of one gateway app, on its own registry (several apps may live in one process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from libs.common import metrics as platform_metrics

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass
class GatewayMetrics:
    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("comptoir_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("comptoir_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], buckets=_LATENCY_BUCKETS, registry=r)
        self.chat_turns = Counter("comptoir_chat_turns", "chat turns by outcome", ["mode", "outcome"],
                                  registry=r)
        self.rate_limited = Counter("comptoir_rate_limited", "requests refused by the rate limiter",
                                    registry=r)
        self.blocked = Counter("comptoir_blocked_messages", "messages refused by screening", registry=r)
        self.streams = Gauge("comptoir_active_streams", "open SSE chat streams", registry=r)
        self.webhooks = Counter("comptoir_webhooks", "webhooks received", ["provider", "outcome"],
                                registry=r)

    def render(self) -> bytes:
        """This app's series, then the process's platform series (consumers, RPC, outbox, LLM,
        embeddings: libs.common.metrics), so `comptoir up` shows every service's here."""
        return generate_latest(self.registry) + platform_metrics.render()
