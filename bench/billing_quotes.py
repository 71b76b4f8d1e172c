"""Billing: quote creation over the broker (with its PDF), webhook-to-paid throughput, verification.

In one run, on a throw-away database and broker names:
- `billing.create_quote` over RpcClient (5 lines, totals, PDF rendered and stored, row + outbox
  event in one transaction), at concurrency 1 and 8; baseline: a bare request/reply echo service on
  the same broker at the same concurrency.
- Stripe `checkout.session.completed` commands through the outbox → billing consumer → quote paid
  + `payment.completed` → lead purchase recorded, for N quotes; baseline: the same number of events
  through the same outbox, relay and consumer machinery to a handler that does nothing.
- PDF rendering alone; Stripe signature and Wix JWT verification (baseline: a bare HMAC-SHA256).
Targets: quote p50 ≤ 60 ms at concurrency 1; webhook-to-paid ≥ 0.3 × the no-op consumer rate.

    .venv/bin/python -m bench.billing_quotes [--quotes 150] [--webhooks 300]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aio_pika

from bench._common import bench_database, bench_settings, write_result
from libs.common.broker import Names
from libs.common.db import create_pool
from libs.common.events.billing import CreateQuote, QuoteLineIn, QuoteReply, StripeWebhookReceived
from libs.common.logging import configure_logging
from libs.common.messages import Message, message_type
from libs.common.outbox import add_event
from libs.common.rpc import RpcClient
from libs.common.service import HandlerContext, ServiceApp
from libs.common.settings import Settings
from libs.webhooks import stripe_signature_header, verify_stripe_signature, verify_wix_webhook
from services.billing.app import svc as billing_app
from services.billing.config import BillingSettings
from services.billing.pdf import render_quote_pdf
from services.billing.quotes import new_quote
from tests.fakes.wix_server import WixSigner

SECRET = "whsec_bench"  # noqa: S105 (a throw-away signing secret)
LINES = [QuoteLineIn(label=f"Article n° {i} — édition limitée", unit_price=Decimal(f"{9 + i}.90"), quantity=i + 1)
         for i in range(5)]


@message_type("bench.billing_echo")
class Echo(Message):
    text: str


echo_app = ServiceApp("benchecho", run_relay=False)


@message_type("bench.billing_noop")
class Noop(Message):
    text: str


@echo_app.on_request("bench.billing_echo")
async def echo(req: Echo, ctx: HandlerContext) -> Echo:
    return req


@echo_app.on_event("bench.billing_noop", queue="bench.billing_noop")
async def noop(event: Noop, ctx: HandlerContext) -> None:
    """The platform's own per-event cost: decode, inbox claim, commit, ack."""


COUNT_NOOP = "SELECT count(*) FROM app_inbox WHERE consumer = 'bench.billing_noop'"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(n: int, concurrency: int, call: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    latencies: list[float] = []
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            start = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - start) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    elapsed = time.perf_counter() - started
    return {"p50_ms": round(statistics.median(latencies), 2), "p95_ms": round(percentile(latencies, 0.95), 2),
            "per_s": round(n / elapsed, 1)}


async def quote_latency(rpc: RpcClient, n: int) -> dict[str, Any]:
    def create() -> Awaitable[QuoteReply]:
        req = CreateQuote(session_id=f"bench-{uuid.uuid4().hex[:8]}", email="bench@example.fr", lines=LINES)
        return rpc.request("billing.create_quote", req, QuoteReply, timeout=30)

    def ping() -> Awaitable[Echo]:
        return rpc.request("bench.billing_echo", Echo(text="x" * 200), Echo, timeout=30)

    await timed(10, 2, create)
    await timed(10, 2, ping)
    figures: dict[str, Any] = {}
    for concurrency in (1, 8):
        quote = await timed(n, concurrency, create)
        echo_ = await timed(n, concurrency, ping)
        figures[f"c{concurrency}"] = {"quote": quote, "bare_rpc": echo_,
                                      "ratio_p50_quote_vs_bare": round(quote["p50_ms"] / echo_["p50_ms"], 1)}
    return figures


async def webhook_throughput(settings: Settings, rpc: RpcClient, pool: Any, n: int) -> dict[str, Any]:
    quotes = []
    for _ in range(n):
        sid = f"cs_bench_{uuid.uuid4().hex}"
        reply = await rpc.request("billing.create_quote", CreateQuote(
            email=f"lead-{uuid.uuid4().hex[:6]}@example.fr", lines=LINES[:2], provider="none"), QuoteReply)
        await pool.execute("UPDATE app_quotes SET stripe_session_id = $2 WHERE id = $1",
                           uuid.UUID(reply.quote.id), sid)
        quotes.append((reply.quote, sid))
    commands = []
    for quote, sid in quotes:
        body = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": "checkout.session.completed", "data": {
            "object": {"id": sid, "payment_status": "paid", "currency": "eur",
                       "amount_total": int(quote.totals.gross * 100)}}})
        commands.append(StripeWebhookReceived(body=body, received_at=datetime.now(UTC), headers={
            "stripe-signature": stripe_signature_header(body.encode(), SECRET)}))
    ids = [uuid.UUID(q.id) for q, _ in quotes]
    started = time.perf_counter()
    async with pool.acquire() as conn, conn.transaction():
        for command in commands:
            await add_event(conn, command, source="gateway")
    while await pool.fetchval("SELECT count(*) FROM app_quotes WHERE id = ANY($1) AND status = 'paid'", ids) < n:
        if time.perf_counter() - started > 120:
            raise RuntimeError("webhooks not applied within 120 s")
        await asyncio.sleep(0.05)
    paid_s = time.perf_counter() - started
    emails = [q.email for q, _ in quotes]
    while await pool.fetchval("SELECT count(*) FROM app_leads WHERE email = ANY($1) AND purchase_count = 1",
                              emails) < n:
        await asyncio.sleep(0.05)
    purchased_s = time.perf_counter() - started
    return {"webhooks": n, "to_paid_per_s": round(n / paid_s, 1), "to_lead_purchase_per_s": round(n / purchased_s, 1)}


async def platform_consumer_rate(pool: Any, n: int) -> float:
    """Baseline: n events through the same outbox, relay and consumer machinery, handler doing nothing."""
    before = await pool.fetchval(COUNT_NOOP)
    started = time.perf_counter()  # as for the webhooks: from the commit of the commands
    async with pool.acquire() as conn, conn.transaction():
        for _ in range(n):
            await add_event(conn, Noop(text="x" * 400), source="bench")
    while await pool.fetchval(COUNT_NOOP) < before + n:
        if time.perf_counter() - started > 120:
            raise RuntimeError("no-op events not consumed within 120 s")
        await asyncio.sleep(0.02)
    return n / (time.perf_counter() - started)


async def webhook_rounds(settings: Settings, rpc: RpcClient, pool: Any, n: int,
                         rounds: int = 2) -> dict[str, Any]:
    """Baseline and billing alternate; the best round of each is kept (this machine is shared)."""
    noop_rates: list[float] = []
    runs: list[dict[str, Any]] = []
    for _ in range(rounds):
        noop_rates.append(await platform_consumer_rate(pool, n))
        runs.append(await webhook_throughput(settings, rpc, pool, n))
    best = max(runs, key=lambda r: r["to_paid_per_s"])
    noop = max(noop_rates)
    return {**best, "rounds": rounds, "to_paid_per_s_each_round": [r["to_paid_per_s"] for r in runs],
            "baseline_noop_consumer_per_s": round(noop, 1),
            "baseline_each_round": [round(r, 1) for r in noop_rates],
            "ratio_to_paid_vs_noop": round(best["to_paid_per_s"] / noop, 3)}


def cpu_figures() -> dict[str, Any]:
    quote = new_quote(CreateQuote(lines=LINES, email="bench@example.fr"), {}, BillingSettings(_env_file=None),
                      datetime.now(UTC))
    facts = {"brand_name": "Maison Élodie", "contact_email": "bonjour@elodie.fr"}
    render_quote_pdf(quote, facts)
    start = time.perf_counter()
    for _ in range(50):
        render_quote_pdf(quote, facts)
    pdf_ms = (time.perf_counter() - start) * 1000 / 50
    body = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}).encode()
    header = stripe_signature_header(body, SECRET)
    start = time.perf_counter()
    for _ in range(5000):
        verify_stripe_signature(body, header, SECRET)
    stripe_per_s = 5000 / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(5000):
        hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    raw_hmac_per_s = 5000 / (time.perf_counter() - start)
    signer = WixSigner()
    token = signer.sign("wix.ecom.v1.order_approved", {"id": "e"})
    start = time.perf_counter()
    for _ in range(500):
        verify_wix_webhook(token, signer.public_pem)
    return {"pdf_render_ms": round(pdf_ms, 2), "stripe_verify_per_s": round(stripe_per_s),
            "raw_hmac_per_s": round(raw_hmac_per_s), "wix_verify_per_s": round(500 / (time.perf_counter() - start)),
            "ratio_stripe_verify_vs_hmac": round(stripe_per_s / raw_hmac_per_s, 2)}


async def cleanup(settings: Settings) -> None:
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queues = [settings.queue(e.queue) for e in (*billing_app.events, *echo_app.events)]
        names = Names(settings)
        rpc = [names.rpc_queue(r.request_type) for r in (*billing_app.requests, *echo_app.requests)]
        for name in [*queues, *(f"{q}.dlq" for q in queues), *(f"{q}.retry" for q in queues), *rpc,
                     settings.queue("platform.unrouted")]:
            await channel.queue_delete(name)
        for name in (settings.events_exchange, f"{settings.events_exchange}.dlx",
                     f"{settings.events_exchange}.unrouted"):
            await channel.exchange_delete(name)


async def main(n_quotes: int, n_webhooks: int) -> None:
    configure_logging("WARNING", json=True)
    figures: dict[str, Any] = {"cpu": cpu_figures()}
    async with bench_database() as dsn:
        settings = bench_settings(dsn, OUTBOX_POLL_INTERVAL_S=0.05)
        pool = await create_pool(settings, min_size=4, max_size=20)
        cfg = BillingSettings(_env_file=None, stripe_webhook_secret=SECRET,
                              storage_dir=Path(tempfile.mkdtemp(prefix="comptoir-bench-files-")))
        try:
            async with billing_app.running(settings, pool, deps={"billing_settings": cfg}), \
                    echo_app.running(settings, pool), RpcClient(settings, source="bench") as rpc:
                figures["create_quote"] = await quote_latency(rpc, n_quotes)
                figures["webhook"] = await webhook_rounds(settings, rpc, pool, n_webhooks)
        finally:
            await pool.close()
            await cleanup(settings)
    p50 = figures["create_quote"]["c1"]["quote"]["p50_ms"]
    figures["targets"] = {"quote_p50_ms_at_c1 <= 60": p50 <= 60,
                          "webhook_to_paid >= 0.3 x noop": figures["webhook"]["ratio_to_paid_vs_noop"] >= 0.3}
    write_result("billing_quotes", figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quotes", type=int, default=150)
    parser.add_argument("--webhooks", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.quotes, args.webhooks))
