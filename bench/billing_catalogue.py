"""Billing's product catalogue: Wix sync of 10,000 products, then hybrid product search over the broker.

In one run, on a throw-away database and broker names:
- sync: 10,000 distinct products (a tenth with two or three variants) served by the local Wix
  Stores server (tests/fakes/wix_server.py, pages of 100) → billing_products. Baseline: the same
  pages fetched by the same client and mapped, written nowhere (the provider side of the cost).
- embeddings: every product embedded by the rag service's model (all-MiniLM-L6-v2, built locally)
  as billing's periodic job does it, through `rag.embed` over the broker.
- search: `billing.search_products` over the broker with the billing and rag services running, for
  distinct French and English queries (names, categories, materials, scents, sizes): the query is
  embedded by rag, then the lexical and vector legs are fused. Baseline: a bare request/reply echo.
Targets: search p50 ≤ 15 ms.

    .venv/bin/python -m bench.billing_catalogue [--products 10000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import Echo, EchoReply, bench_database, bench_settings, echo_app, run_level, write_result
from libs.common.db import create_pool
from libs.common.events.billing import ProductResults, SearchProducts
from libs.common.logging import configure_logging
from services.billing import products, sync
from services.billing.app import svc as billing_app
from services.billing.config import BillingSettings
from services.billing.deps import Billing
from services.billing.wix import WixClient
from tests.fakes.wix_server import FakeWixServer, store_product

NOUNS = ["Bougie", "Diffuseur", "Savon", "Plaid", "Coussin", "Vase", "Lampe", "Tasse", "Bol", "Carafe",
         "Plateau", "Panier", "Miroir", "Cadre", "Tapis", "Nappe", "Torchon", "Tablier", "Pochette", "Trousse",
         "Carnet", "Coffret", "Bougeoir", "Photophore", "Suspension", "Applique", "Horloge", "Patère", "Étagère",
         "Boîte", "Jarre", "Pichet", "Théière", "Assiette", "Saladier", "Planche", "Brosse", "Serviette",
         "Peignoir", "Bouillotte"]
QUALITIES = ["Ambre", "Figue", "Thé vert", "Vétiver", "Lavande", "Fleur d'oranger", "Cèdre", "Vanille",
             "Rose ancienne", "Citron", "Lin lavé", "Laine", "Grès", "Céramique", "Laiton", "Rotin", "Chêne",
             "Noyer", "Coton bio", "Verre soufflé", "Marbre", "Terracotta", "Velours", "Jute", "Bambou"]
STYLES = ["Automne", "Riviera", "Atelier", "Bohème", "Nordique", "Provence", "Minuit", "Aurore", "Sable", "Opale"]
CATEGORIES = {"Bougie": "bougies", "Diffuseur": "parfums d'intérieur", "Savon": "bain", "Lampe": "luminaires",
              "Suspension": "luminaires", "Applique": "luminaires", "Photophore": "bougies"}
ENGLISH = {"Bougie": "candle", "Lampe": "lamp", "Savon": "soap", "Plaid": "throw blanket", "Vase": "vase",
           "Tasse": "mug", "Coussin": "cushion", "Diffuseur": "diffuser", "Panier": "basket", "Miroir": "mirror"}


def catalogue(count: int) -> list[dict[str, Any]]:
    items = []
    for i, (noun, quality, style) in enumerate(itertools.islice(itertools.product(NOUNS, QUALITIES, STYLES), count)):
        name = f"{noun} {quality} {style}"
        price = f"{9 + (i * 7) % 180}.{(i * 13) % 100:02d}"
        variants: list[tuple[str, str, int | None]] | None = None
        if i % 10 == 0:
            variants = [("200 g", price, 5 + i % 7), ("400 g", f"{float(price) * 1.6:.2f}", i % 4)]
        description = (f"{noun} {quality.lower()} de la collection {style}, fabriqué en France. "
                       f"{ENGLISH.get(noun, noun.lower())} — {quality} — {style} collection.")
        items.append(store_product(f"p{i:05d}", name, price, description=description, stock=i % 25,
                                   variants=variants, option="Poids", ribbon=CATEGORIES.get(noun, "maison")))
    return items


def queries(count: int, rng: random.Random) -> list[str]:
    out = []
    templates = ["{n} {q}", "{n} {q} {s}", "{q} {s}", "{en} {q}", "{n} collection {s}", "{c} {q}",
                 "une {n} {q} pour offrir", "{en} in {q}", "{n} {s}"]
    for i in range(count):
        noun, quality, style = rng.choice(NOUNS), rng.choice(QUALITIES), rng.choice(STYLES)
        out.append(templates[i % len(templates)].format(
            n=noun.lower(), q=quality.lower(), s=style, en=ENGLISH.get(noun, noun.lower()),
            c=CATEGORIES.get(noun, "maison")))
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    configure_logging("WARNING", json=False)
    rng = random.Random(17)
    async with bench_database() as dsn, FakeWixServer(api_key="bench-key") as wix_fake:
        settings = bench_settings(dsn)
        pool = await create_pool(settings)
        for item in catalogue(args.products):
            wix_fake.products[item["id"]] = item
        cfg = BillingSettings(_env_file=None, wix_api_key="bench-key", wix_api_base=wix_fake.base_url,
                              wix_site_id="site", catalogue_sync_interval_s=10**6, embed_interval_s=10**6)
        figures: dict[str, Any] = {"products": args.products}

        # -- the provider side alone: the same pages fetched and mapped, written nowhere
        client = WixClient(wix_fake.base_url, "bench-key", "site", 10, 2)
        started = time.perf_counter()
        offset = 0
        while True:
            page, _ = await client.products_page(offset, sync.WIX_PAGE)
            [sync.wix_record(p, "EUR", cfg.vat_rate) for p in page]
            offset += len(page)
            if len(page) < sync.WIX_PAGE:
                break
        fetch_s = time.perf_counter() - started
        await client.close()

        from services.billing.deps import build_billing
        billing: Billing = build_billing(settings, cfg, pool)
        started = time.perf_counter()
        report = await sync.sync_wix(billing)
        sync_s = time.perf_counter() - started
        figures["sync"] = {"products": report.products, "pages": report.pages, "seconds": round(sync_s, 2),
                           "products_per_s": round(report.products / sync_s, 1),
                           "baseline_fetch_and_map_per_s": round(offset / fetch_s, 1),
                           "ratio_to_fetch_only": round(fetch_s / sync_s, 2)}
        await billing.close()

        from services.rag.app import svc as rag_app
        from services.rag.config import RagSettings
        from services.rag.embedder import Embedder
        from services.rag.model_build import prepare_model
        from services.rag.runtime import open_runtime

        model_dir = Path(tempfile.mkdtemp(prefix="bench-model-")) / "all-minilm-l6-v2"
        prepare_model(model_dir)
        runtime = await open_runtime(settings, pool, RagSettings(), embedder=Embedder(model_dir, threads=2))
        echo = echo_app()
        # the running service needs no Wix: its start-up sync would redo the one measured above
        serving = cfg.model_copy(update={"wix_api_key": None})
        async with rag_app.running(settings, pool, deps={"rag": runtime}), \
                billing_app.running(settings, pool, deps={"billing_settings": serving}) as ctx, \
                echo.running(settings, pool):
            live: Billing = ctx_billing(ctx)
            started = time.perf_counter()
            embedded = 0
            for _ in range(20):  # a batch that times out on a busy machine is taken again
                embedded += await products.embed_pending(pool, live.embed, batch=32) if live.embed else 0
                if not await pool.fetchval("SELECT count(*) FROM billing_products WHERE embedding IS NULL"):
                    break
            figures["embedding"] = {"products": embedded, "seconds": round(time.perf_counter() - started, 1)}
            texts = queries(args.queries, rng)
            hits = 0

            async def search(w: int, i: int) -> None:
                nonlocal hits
                found = await ctx.rpc.request(SearchProducts.TYPE, SearchProducts(query=texts[i], limit=5),
                                              ProductResults, timeout=10)
                hits += bool(found.products) and not found.lexical_only

            async def bare(w: int, i: int) -> None:
                await ctx.rpc.request(Echo.TYPE, Echo(text=texts[i]), EchoReply, timeout=10)

            for warm in texts[:20]:
                await ctx.rpc.request(SearchProducts.TYPE, SearchProducts(query=warm), ProductResults, timeout=10)
            baseline = await run_level(bare, 1, len(texts))
            searched = await run_level(search, 1, len(texts))
            figures["search"] = {**searched, "queries": len(texts), "hybrid_answers": hits,
                                 "baseline_echo_p50_ms": baseline["p50_ms"],
                                 "ratio_to_echo_p50": round(searched["p50_ms"] / baseline["p50_ms"], 1)}
            embed_ms: list[float] = []
            for text in texts[:100]:
                started = time.perf_counter()
                await live.embed([text]) if live.embed else None
                embed_ms.append((time.perf_counter() - started) * 1000)
            figures["search"]["query_embedding_p50_ms"] = round(sorted(embed_ms)[len(embed_ms) // 2], 2)
            # the database part alone (in process, no broker, query vectors computed beforehand)
            vectors = []
            for text in texts:
                got = await live.embed([text]) if live.embed else None
                vectors.append((got[0], got[1][0]) if got else None)

            async def sql_only(w: int, i: int) -> None:
                lexical = await products.lexical_leg(pool, texts[i], 5, None)
                await products.search(pool, texts[i], 5, None, vectors[i], lexical)

            figures["search_sql_only"] = await run_level(sql_only, 1, len(texts))
            live.embed = None  # the lexical leg alone, same queries, over the broker
            figures["search_lexical_only"] = await run_level(search, 1, len(texts))
        await runtime.close()
        await pool.close()
    write_result("billing_catalogue", figures)


def ctx_billing(ctx: Any) -> Billing:
    """The billing deps the running service built (the wrapper keeps them on the start-up context)."""
    found = getattr(ctx, "service_deps", None) or ctx.deps.get("billing")
    assert isinstance(found, Billing), "billing deps not found on the running context"
    return found


if __name__ == "__main__":
    asyncio.run(main())
