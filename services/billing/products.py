"""The product catalogue (billing_products, migration 061): records, upserts, look-ups, hybrid search.

Every source (Wix Stores, Stripe Products/Prices, an imported file) becomes `ProductRecord`s with
exact TTC prices; `upsert` writes them (variants replaced as a whole), clearing the embedding when
the searchable text changed. Search fuses a lexical leg (Postgres full text, French and English
stems, accent-folded) and a vector leg (the query embedded by rag through `rag.embed`) by
reciprocal rank; without vectors it is lexical alone.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import asyncpg

from libs.common.db import Conn
from libs.common.events.billing import ProductSource, ProductView, VariantView

Embed = Callable[[list[str]], Awaitable[tuple[str, list[list[float]]] | None]]
RRF_K = 60
LEG_DEPTH = 40


@dataclass(frozen=True)
class VariantRecord:
    variant_id: str
    name: str
    price: Decimal
    sku: str | None = None
    stock: int | None = None
    in_stock: bool = True


@dataclass(frozen=True)
class ProductRecord:
    source: ProductSource
    source_id: str
    name: str
    price: Decimal
    currency: str
    vat_rate: Decimal
    sku: str | None = None
    description: str = ""
    category: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    stock: int | None = None
    in_stock: bool = True
    images: tuple[str, ...] = ()
    variants: tuple[VariantRecord, ...] = ()

    @property
    def id(self) -> str:
        return product_id(self.source, self.source_id)

    @property
    def search_extra(self) -> str:
        parts = [self.category or "", *self.attributes.values(), *(v.name for v in self.variants)]
        return " ".join(p for p in parts if p)

    def embedding_text(self) -> str:
        return f"{self.name}. {self.search_extra}. {self.description}"[:2000]


def product_id(source: str, source_id: str) -> str:
    return f"{source}:{source_id}"


UPSERT_PRODUCT = """
INSERT INTO billing_products (id, source, source_id, sku, name, description, category, attributes, price,
  currency, vat_rate, stock, in_stock, images, active, search_extra, synced_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, TRUE, $15, $16)
ON CONFLICT (id) DO UPDATE SET
  sku = EXCLUDED.sku, name = EXCLUDED.name, description = EXCLUDED.description,
  category = EXCLUDED.category, attributes = EXCLUDED.attributes, price = EXCLUDED.price,
  currency = EXCLUDED.currency, vat_rate = EXCLUDED.vat_rate, stock = EXCLUDED.stock,
  in_stock = EXCLUDED.in_stock, images = EXCLUDED.images, active = TRUE,
  search_extra = EXCLUDED.search_extra, synced_at = EXCLUDED.synced_at, updated_at = NOW(),
  embedding = CASE WHEN (billing_products.name, billing_products.description, billing_products.search_extra)
                        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.search_extra)
                   THEN NULL ELSE billing_products.embedding END
"""
DELETE_VARIANTS = "DELETE FROM billing_product_variants WHERE product_id = ANY($1::text[])"
INSERT_VARIANT = """
INSERT INTO billing_product_variants (product_id, variant_id, sku, name, price, stock, in_stock, position)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
DEACTIVATE_MISSING = """
UPDATE billing_products SET active = FALSE, updated_at = NOW()
WHERE source = $1 AND active AND synced_at < $2
"""
DEACTIVATE = "UPDATE billing_products SET active = FALSE, updated_at = NOW() WHERE id = $1 AND active"
PRODUCT_COLUMNS = """
p.id, p.source, p.sku, p.name, p.description, p.category, p.attributes, p.price, p.currency, p.vat_rate,
p.stock, p.in_stock, p.images, p.synced_at
"""
SELECT_BY_IDS = f"SELECT {PRODUCT_COLUMNS} FROM billing_products p WHERE p.id = ANY($1::text[]) AND p.active"
SELECT_VARIANTS = """
SELECT product_id, variant_id, sku, name, price, stock, in_stock FROM billing_product_variants
WHERE product_id = ANY($1::text[]) ORDER BY product_id, position, variant_id
"""
# every word of the query first (selective), any word when no product holds them all (062)
LEXICAL_ALL = """
SELECT p.id, ts_rank(p.fts, q, 1) AS rank
FROM billing_products p, billing_product_tsquery_all($1) q
WHERE p.active AND p.fts @@ q AND ($2::text IS NULL OR lower(p.category) = lower($2))
ORDER BY rank DESC, p.id LIMIT $3
"""
LEXICAL = """
SELECT p.id, ts_rank(p.fts, q, 1) AS rank
FROM billing_products p, billing_product_tsquery($1) q
WHERE p.active AND p.fts @@ q AND ($2::text IS NULL OR lower(p.category) = lower($2))
ORDER BY rank DESC, p.id LIMIT $3
"""
VECTOR = """
SELECT p.id FROM billing_products p
WHERE p.active AND p.embedding IS NOT NULL AND p.embedding_model = $2
  AND ($3::text IS NULL OR lower(p.category) = lower($3))
ORDER BY p.embedding <=> $1::vector LIMIT $4
"""
INDEXED_WIDTHS = (384, 1024)  # an HNSW index each (062)


def vector_sql(width: int) -> str:
    if width not in INDEXED_WIDTHS:
        return VECTOR
    return f"""
SELECT p.id FROM billing_products p
WHERE p.active AND vector_dims(p.embedding) = {width} AND p.embedding_model = $2
  AND ($3::text IS NULL OR lower(p.category) = lower($3))
ORDER BY p.embedding::vector({width}) <=> $1::vector({width}) LIMIT $4
"""
UNEMBEDDED = """
SELECT id, name, description, search_extra FROM billing_products
WHERE active AND (embedding IS NULL OR embedding_model IS DISTINCT FROM $2) ORDER BY id LIMIT $1
"""
SET_EMBEDDING = "UPDATE billing_products SET embedding = $2::vector, embedding_model = $3 WHERE id = $1"
LAST_SYNC = """
SELECT source, max(synced_at) AS at, count(*) FILTER (WHERE active) AS n FROM billing_products GROUP BY source
"""


async def upsert(conn: Conn, records: Sequence[ProductRecord], synced_at: datetime) -> None:
    """Write products and their variants (a product's variants are replaced as a whole)."""
    if not records:
        return
    await conn.executemany(UPSERT_PRODUCT, [
        (r.id, r.source, r.source_id, r.sku, r.name, r.description, r.category, r.attributes, r.price,
         r.currency, r.vat_rate, r.stock, r.in_stock, list(r.images), r.search_extra, synced_at)
        for r in records])
    await conn.execute(DELETE_VARIANTS, [r.id for r in records])
    rows = [(r.id, v.variant_id, v.sku, v.name, v.price, v.stock, v.in_stock, i)
            for r in records for i, v in enumerate(r.variants)]
    if rows:
        await conn.executemany(INSERT_VARIANT, rows)


async def deactivate_missing(conn: Conn, source: str, sync_started: datetime) -> int:
    """After a full sync: products of `source` the sync did not see are no longer sold."""
    status = await conn.execute(DEACTIVATE_MISSING, source, sync_started)
    return int(status.split()[-1])


async def deactivate(conn: Conn, product: str) -> bool:
    return (await conn.execute(DEACTIVATE, product)).endswith(" 1")


async def by_ids(conn: Conn | asyncpg.Pool, ids: Sequence[str]) -> dict[str, ProductView]:
    if not ids:
        return {}
    rows = await conn.fetch(SELECT_BY_IDS, list(dict.fromkeys(ids)))
    variants = await conn.fetch(SELECT_VARIANTS, [r["id"] for r in rows]) if rows else []
    by_product: dict[str, list[VariantView]] = {}
    for v in variants:
        by_product.setdefault(v["product_id"], []).append(VariantView(
            id=v["variant_id"], name=v["name"], sku=v["sku"], price=v["price"], stock=v["stock"],
            in_stock=v["in_stock"]))
    return {r["id"]: _view(r, by_product.get(r["id"], [])) for r in rows}


def _view(row: asyncpg.Record, variants: list[VariantView]) -> ProductView:
    attributes = row["attributes"] if not isinstance(row["attributes"], str) else json.loads(row["attributes"])
    return ProductView(
        id=row["id"], source=row["source"], sku=row["sku"], name=row["name"], description=row["description"],
        category=row["category"], attributes={str(k): str(v) for k, v in (attributes or {}).items()},
        price=row["price"], currency=row["currency"], vat_rate=row["vat_rate"], stock=row["stock"],
        in_stock=row["in_stock"], images=list(row["images"] or []), variants=variants,
        synced_at=row["synced_at"])


async def lexical_leg(pool: asyncpg.Pool, query: str, limit: int, category: str | None) -> list[str]:
    if not query.strip():
        return []
    depth = max(LEG_DEPTH, limit)
    async with pool.acquire() as conn:
        found = [r["id"] for r in await conn.fetch(LEXICAL_ALL, query, category, depth)]
        if not found:  # no product holds every word: any of them (the vector leg fills in otherwise)
            found = [r["id"] for r in await conn.fetch(LEXICAL, query, category, depth)]
    return found


async def search(pool: asyncpg.Pool, query: str, limit: int, category: str | None,
                 query_vector: tuple[str, list[float]] | None,
                 lexical_ids: list[str] | None = None) -> list[ProductView]:
    """Reciprocal-rank fusion of the lexical and (when given) vector legs."""
    depth = max(LEG_DEPTH, limit)
    lexical = lexical_ids if lexical_ids is not None else await lexical_leg(pool, query, limit, category)
    async with pool.acquire() as conn:
        vector: list[str] = []
        if query_vector is not None:
            model, values = query_vector
            vector = [r["id"] for r in await conn.fetch(vector_sql(len(values)), list(values), model, category,
                                                        depth)]
        scores: dict[str, float] = {}
        for leg, weight in ((lexical, 1.0), (vector, 0.8)):
            for rank, pid in enumerate(leg):
                scores[pid] = scores.get(pid, 0.0) + weight / (RRF_K + rank + 1)
        top = sorted(scores, key=lambda p: (-scores[p], p))[:limit]
        found = await by_ids(conn, top)
    return [found[p].model_copy(update={"score": round(scores[p], 6)}) for p in top if p in found]


async def embed_pending(pool: asyncpg.Pool, embed: Embed, batch: int = 128) -> int:
    """Embed products whose searchable text has no vector yet, or a vector of another model than the
    one rag runs now (RAG_MODEL was switched: such vectors are never matched); 0 when rag is
    unreachable."""
    probe = await embed(["catalogue"])  # which model rag runs, before choosing what is stale
    if probe is None:
        return 0
    model = probe[0]
    done = 0
    while True:
        rows = await pool.fetch(UNEMBEDDED, batch, model)
        if not rows:
            return done
        texts = [f"{r['name']}. {r['search_extra']}. {r['description']}"[:2000] for r in rows]
        result = await embed(texts)
        if result is None:
            return done
        model, vectors = result
        async with pool.acquire() as conn, conn.transaction():
            await conn.executemany(SET_EMBEDDING, [(r["id"], list(v), model)
                                                   for r, v in zip(rows, vectors, strict=True)])
        done += len(rows)
        if len(rows) < batch:
            return done


async def last_sync(pool: asyncpg.Pool) -> dict[str, tuple[datetime, int]]:
    return {r["source"]: (r["at"], r["n"]) for r in await pool.fetch(LAST_SYNC)}

