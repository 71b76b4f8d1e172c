"""Catalogue use cases: search (`billing.search_products`), file import, the products a quote names.

The query vector comes from rag through `rag.embed` (billing never imports rag); when rag does not
answer, search goes on lexically and skips the vector leg for `EMBED_BACKOFF_S`, so a missing rag
costs one timeout, not one per search.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from libs.common.events.billing import ProductResults, ProductView, SearchProducts
from libs.common.logging import get_logger
from services.billing import catalogue_file, products, repo
from services.billing.deps import Billing
from services.billing.errors import QuoteError
from services.billing.quotes import Catalogue, Product, QuotePolicy

log = get_logger(__name__)
EMBED_BACKOFF_S = 30.0


@dataclass
class ImportReport:
    products: int
    variants: int
    rows: int
    errors: list[tuple[int, str]]
    written: bool


async def policy(billing: Billing) -> QuotePolicy:
    strict = await repo.runtime_flag(billing.pool, "wixFirstStrict", False)
    return QuotePolicy(wix_only=strict, max_quantity=billing.cfg.max_line_quantity)


async def search(req: SearchProducts, billing: Billing) -> ProductResults:
    rules = await policy(billing)
    if req.product_ids:
        found = await products.by_ids(billing.pool, req.product_ids)
        views = [found[p] for p in req.product_ids if p in found]
        return ProductResults(products=[_marked(v, rules) for v in views])
    # the query's embedding (a round trip to rag) is awaited while the lexical leg runs
    embedding = asyncio.create_task(_query_vector(req.query, billing)) if req.query.strip() else None
    lexical = await products.lexical_leg(billing.pool, req.query, req.limit, req.category)
    vector = await embedding if embedding is not None else None
    views = await products.search(billing.pool, req.query, req.limit, req.category, vector, lexical)
    return ProductResults(products=[_marked(v, rules) for v in views], lexical_only=vector is None)


def _marked(view: ProductView, rules: QuotePolicy) -> ProductView:
    quotable = not rules.wix_only or view.source == "wix"
    return view if quotable == view.quotable else view.model_copy(update={"quotable": quotable})


async def _query_vector(query: str, billing: Billing) -> tuple[str, list[float]] | None:
    if billing.embed is None or time.monotonic() < billing.embed_down_until:
        return None
    result = await billing.embed([query])
    if result is None:
        billing.embed_down_until = time.monotonic() + EMBED_BACKOFF_S
        return None
    model, vectors = result
    return (model, vectors[0]) if vectors else None


async def quoted_products(ids: list[str], billing: Billing) -> Catalogue:
    """The catalogue entries a quote names; ids the catalogue lacks are looked up in the Wix cache."""
    found: dict[str, ProductView | Product] = dict(await products.by_ids(billing.pool, ids))
    missing = [i for i in dict.fromkeys(ids) if i not in found]
    if missing:
        # a bare Wix id (older callers): the provider cache (app_product_cache), then Wix itself
        bare = [i for i in missing if not i.startswith(("file:", "stripe:", "wix:"))]
        if bare:
            found.update(await billing.catalog.products(bare))
    return found


async def import_file(data: bytes, billing: Billing, *, strict: bool) -> ImportReport:
    try:
        parsed = catalogue_file.parse_catalogue(data, billing.cfg.currency, billing.cfg.vat_rate)
    except catalogue_file.RowError as exc:
        raise QuoteError("bad_request", str(exc)) from exc
    report = ImportReport(len(parsed.products), parsed.variants, parsed.rows, parsed.errors, written=False)
    if (strict and parsed.errors) or not parsed.products:
        return report
    async with billing.pool.acquire() as conn, conn.transaction():
        await products.upsert(conn, parsed.products, billing.clock())
    report.written = True
    log.info("catalogue_imported", products=report.products, variants=report.variants,
             skipped=len(report.errors))
    return report
