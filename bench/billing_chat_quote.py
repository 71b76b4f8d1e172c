"""A quote from a chat sentence, end to end, against a plain knowledge-base turn in the same run.

RpcClient → chat.turn → security.screen + rag.search → the catalogue lookup (billing.search_products
for the products the sentence names, billing's real service on a 10,000-product catalogue) → the
fake LLM (in process, answering at once; for a quote it calls `create_quote` with the product ids the
prompt listed) → billing.create_quote (catalogue prices, totals, PDF rendered and stored) → reply
with the quote card. The baseline is a knowledge-base question through the same stack and the same
fake LLM (no catalogue lookup, no tool call). Also the grounded route (no LLM configured: the quote
is understood from the sentence alone). The RAG service is the tests' stand-in (word match, constant
vectors) for both, so the difference is the quote's own cost. Target: quote p50 ≤ 150 ms.

    .venv/bin/python -m bench.billing_chat_quote [--turns 80] [--products 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import uuid
from typing import Any

from bench._common import bench_database, bench_settings, run_level, write_result
from bench.billing_catalogue import NOUNS, QUALITIES, STYLES
from libs.common.db import create_pool
from libs.common.events.chat import ChatTurn, ChatTurnReply
from libs.common.llm import LLMSettings
from libs.common.logging import configure_logging
from libs.common.rpc import RpcClient
from services.billing import catalogue
from services.billing.app import svc as billing_app
from services.billing.config import BillingSettings
from services.billing.deps import build_billing
from services.chat.app import svc as chat_app
from services.chat.config import ChatSettings
from services.gateway.demo_facts import seed_demo
from tests.chat.conftest import build_stub_services
from tests.fakes.llm_server import FakeLLMServer, Step

LEGAL = {"legal_name": "Maison Lumière SAS", "legal_address": "12 rue des Cierges, 69002 Lyon",
         "siret": "123 456 789 00012", "vat_number": "FR32123456789"}
KB_QUESTIONS = ["Quels sont les frais de livraison ?", "Quel est le délai de livraison ?",
                "Comment obtenir un remboursement ?", "Puis-je retourner un article ?"]


def catalogue_file(count: int) -> bytes:
    lines = []
    for i in range(count):
        noun, quality, style = NOUNS[i % len(NOUNS)], QUALITIES[(i // len(NOUNS)) % len(QUALITIES)], \
            STYLES[(i // (len(NOUNS) * len(QUALITIES))) % len(STYLES)]
        lines.append(json.dumps({"sku": f"P{i:05d}", "name": f"{noun} {quality} {style}",
                                 "price": f"{9 + (i * 7) % 180}.90", "stock": 50,
                                 "description": f"{noun} en {quality.lower()}, collection {style}."}))
    return ("\n".join(lines) + "\n").encode()


def quote_sentences(count: int) -> list[tuple[str, list[str]]]:
    """(sentence, the product ids it names) — two products each, distinct names."""
    out = []
    for i in range(count):
        a, b = (i * 37) % 1000, (i * 53 + 500) % 1000
        name_a = f"{NOUNS[a % len(NOUNS)]} {QUALITIES[(a // len(NOUNS)) % len(QUALITIES)]} {STYLES[0]}"
        name_b = f"{NOUNS[b % len(NOUNS)]} {QUALITIES[(b // len(NOUNS)) % len(QUALITIES)]} {STYLES[0]}"
        out.append((f"Je voudrais un devis pour 2 {name_a.lower()} et un {name_b.lower()}",
                    [f"file:P{a:05d}", f"file:P{b:05d}"]))
    return out


async def measure_mode(mode: str, settings: Any, pool: Any, fake: FakeLLMServer,
                       sentences: list[tuple[str, list[str]]], turns: int) -> dict[str, Any]:
    llm = (LLMSettings(base_url=fake.base_url, api_key="bench", model="fake", timeout_s=5.0) if mode == "llm"
           else LLMSettings(base_url=None, api_key=None, model="fake"))
    quoted: list[int] = []
    async with chat_app.running(settings, pool, deps={"chat_settings": ChatSettings(), "llm_settings": llm}), \
            RpcClient(settings, source="bench") as rpc:

        async def kb_turn(w: int, i: int) -> None:
            body = ChatTurn(session_id=f"bench-{uuid.uuid4().hex}", message=KB_QUESTIONS[i % 4],
                            request_id=uuid.uuid4().hex, screened=False)
            await rpc.request(ChatTurn.TYPE, body, ChatTurnReply, timeout=30)

        async def quote_turn(w: int, i: int) -> None:
            sentence, ids = sentences[i]
            if mode == "llm":
                lines = [{"product_id": ids[0], "quantity": 2}, {"product_id": ids[1], "quantity": 1}]
                fake.script(Step(text="Voici votre devis.", tool_calls=[
                    {"name": "create_quote", "arguments": json.dumps({"lines": lines})}]))
            body = ChatTurn(session_id=f"bench-{uuid.uuid4().hex}", message=sentence,
                            request_id=uuid.uuid4().hex, screened=False)
            reply = await rpc.request(ChatTurn.TYPE, body, ChatTurnReply, timeout=30)
            quoted.append(1 if reply.quote is not None and reply.quote.pdf_url else 0)

        await run_level(kb_turn, 1, 10)  # warm-up
        await run_level(quote_turn, 1, 5)
        quoted.clear()
        kb = await run_level(kb_turn, 1, turns)
        quote = await run_level(quote_turn, 1, turns)
        fake._script.clear()
    return {"kb_turn": kb, "quote_turn": quote, "quotes_with_pdf": sum(quoted),
            "ratio_quote_to_kb_p50": round(quote["p50_ms"] / kb["p50_ms"], 2)}


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=80)
    ap.add_argument("--products", type=int, default=10_000)
    args = ap.parse_args()
    configure_logging("WARNING", json=True)
    load_before = os.getloadavg()
    figures: dict[str, Any] = {"products": args.products}
    async with bench_database() as dsn, FakeLLMServer() as fake, contextlib.AsyncExitStack() as stack:
        settings = bench_settings(dsn)
        pool = await create_pool(settings, min_size=2, max_size=20)
        stack.push_async_callback(pool.close)
        await seed_demo(pool)
        for key, value in LEGAL.items():
            await pool.execute("INSERT INTO app_company_facts (key, value) VALUES ($1, $2) ON CONFLICT (key) "
                               "DO UPDATE SET value = $2, active = TRUE", key, value)
        cfg = BillingSettings(_env_file=None, catalogue_sync_interval_s=10**6, embed_interval_s=10**6)
        loader = build_billing(settings, cfg, pool)
        report = await catalogue.import_file(catalogue_file(args.products), loader, strict=True)
        await loader.close()
        assert report.written and report.products == args.products
        from services.security.app import svc as security_app

        state: dict[str, Any] = {"screened": 0, "embedded": 0, "guarded": 0, "quotes": []}
        rag_stub = build_stub_services(state)[1]
        await stack.enter_async_context(security_app.running(settings, pool))
        await stack.enter_async_context(rag_stub.running(settings, pool))
        await stack.enter_async_context(billing_app.running(settings, pool, deps={"billing_settings": cfg}))
        sentences = quote_sentences(args.turns + 10)
        sentences = sentences[5:] + sentences[:5]
        for mode in ("llm", "grounded"):
            figures[mode] = await measure_mode(mode, settings, pool, fake, sentences, args.turns)
            print(mode, json.dumps(figures[mode]), flush=True)
    figures["load_average"] = {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)}
    figures["targets"] = {"quote_p50_ms": 150}
    figures["met"] = {"quote_p50_llm": figures["llm"]["quote_turn"]["p50_ms"] <= 150}
    write_result("billing_chat_quote", figures)


if __name__ == "__main__":
    asyncio.run(main())
