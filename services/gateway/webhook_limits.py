"""Webhook admission per source, before any verification work and before any row is written.

Two token buckets per source address (in this process, no broker or database round trip): one for
every webhook (`GATEWAY_WEBHOOK_PER_MINUTE`, bursts of `GATEWAY_WEBHOOK_BURST`), one for webhooks that
failed verification (`GATEWAY_WEBHOOK_FAILURES_PER_MINUTE`, bursts of `GATEWAY_WEBHOOK_FAILURE_BURST`).
A source over either budget gets 429 with Retry-After before its body is read: a refused webhook
leaves only a counter (`comptoir_webhooks_total{outcome="rate_limited"}`). Providers retry refused
deliveries for days, so a genuine burst above the limit is delayed, not lost. The limits are per
gateway process: N replicas admit N times as much.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_SOURCES = 10_000  # buckets kept; the least recently seen source is forgotten beyond that


class WebhookLimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_WEBHOOK_", env_file=".env", extra="ignore")

    per_minute: float = Field(120.0, gt=0)
    burst: int = Field(60, ge=1)
    failures_per_minute: float = Field(6.0, gt=0)
    failure_burst: int = Field(10, ge=1)


@dataclass
class _Bucket:
    tokens: float
    at: float


class _Buckets:
    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _refill(self, key: str, now: float) -> _Bucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(self.burst, now)
            if len(self.buckets) > MAX_SOURCES:
                self.buckets.popitem(last=False)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            self.buckets.move_to_end(key)
        return bucket

    def wait_s(self, key: str, now: float) -> float:
        """0 when a token is available now (without taking it), else the seconds until one is."""
        bucket = self._refill(key, now)
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self.rate

    def take(self, key: str, now: float) -> None:
        bucket = self._refill(key, now)
        bucket.tokens = max(0.0, bucket.tokens - 1.0)


class WebhookLimiter:
    def __init__(self, settings: WebhookLimitSettings | None = None) -> None:
        limits = settings or WebhookLimitSettings()
        self.all = _Buckets(limits.per_minute, limits.burst)
        self.failures = _Buckets(limits.failures_per_minute, limits.failure_burst)

    def admit(self, source: str, now: float | None = None) -> int:
        """0 (admitted, one token taken) or the Retry-After in whole seconds."""
        now = time.monotonic() if now is None else now
        wait = max(self.all.wait_s(source, now), self.failures.wait_s(source, now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self.all.take(source, now)
        return 0

    def failed(self, source: str, now: float | None = None) -> None:
        self.failures.take(source, time.monotonic() if now is None else now)
