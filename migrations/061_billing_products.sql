-- Migration 061 — Billing: the product catalogue (written by billing only).
--
-- Products the assistant can quote, from Wix Stores, Stripe Products/Prices or an imported file.
-- app_product_cache (018) stays the cache of provider responses with an expiry; this is the shop's
-- catalogue itself. Prices include VAT (TTC), exact NUMERIC. A product with variants is quoted by
-- variant (billing_product_variants); `stock` NULL means not tracked.

CREATE OR REPLACE FUNCTION billing_fold(input TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT translate(
    replace(replace(replace(lower(input), 'œ', 'oe'), 'æ', 'ae'), '’', ''''),
    'àâäáãåçéèêëíìîïñóòôöõúùûüýÿ',
    'aaaaaaceeeeiiiinooooouuuuyy'
  )
$$;

-- French and English stems both: a shop's catalogue mixes the two ("bougie", "gift box").
CREATE OR REPLACE FUNCTION billing_product_tsvector(name TEXT, extra TEXT, description TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('french'::regconfig, billing_fold(coalesce(name, ''))), 'A')
      || setweight(to_tsvector('english'::regconfig, billing_fold(coalesce(name, ''))), 'A')
      || setweight(to_tsvector('french'::regconfig, billing_fold(coalesce(extra, ''))), 'B')
      || setweight(to_tsvector('english'::regconfig, billing_fold(coalesce(extra, ''))), 'B')
      || setweight(to_tsvector('french'::regconfig, billing_fold(coalesce(description, ''))), 'C')
      || setweight(to_tsvector('english'::regconfig, billing_fold(coalesce(description, ''))), 'C')
$$;

CREATE OR REPLACE FUNCTION billing_product_tsquery(query TEXT) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    (SELECT string_agg(quote_literal(lexeme), ' | ')
       FROM (SELECT unnest(tsvector_to_array(to_tsvector('french'::regconfig, billing_fold(query))))
             UNION
             SELECT unnest(tsvector_to_array(to_tsvector('english'::regconfig, billing_fold(query)))))
            AS lexemes(lexeme)
      WHERE length(lexeme) > 1)::tsquery,
    ''::tsquery)
$$;

CREATE TABLE billing_products (
  id TEXT PRIMARY KEY,                       -- '<source>:<id at the source>' (file: the SKU)
  source TEXT NOT NULL CHECK (source IN ('wix', 'stripe', 'file')),
  source_id TEXT NOT NULL,
  sku TEXT,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  description TEXT NOT NULL DEFAULT '',
  category TEXT,
  attributes JSONB NOT NULL DEFAULT '{}',
  price NUMERIC(10,2) NOT NULL CHECK (price >= 0),        -- TTC; with variants: the lowest
  currency TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  vat_rate NUMERIC(5,4) NOT NULL CHECK (vat_rate >= 0 AND vat_rate <= 1),
  stock INTEGER CHECK (stock IS NULL OR stock >= 0),
  in_stock BOOLEAN NOT NULL DEFAULT TRUE,
  images TEXT[] NOT NULL DEFAULT '{}',
  active BOOLEAN NOT NULL DEFAULT TRUE,
  search_extra TEXT NOT NULL DEFAULT '',     -- category, attributes and variant names, for search
  fts tsvector GENERATED ALWAYS AS (billing_product_tsvector(name, search_extra, description)) STORED,
  embedding vector,                          -- from rag.embed; NULL until embedded
  embedding_model TEXT,
  synced_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  UNIQUE (source, source_id)
);

CREATE TABLE billing_product_variants (
  product_id TEXT NOT NULL REFERENCES billing_products(id) ON DELETE CASCADE,
  variant_id TEXT NOT NULL,
  sku TEXT,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),   -- "200 g", "Rouge / L"
  price NUMERIC(10,2) NOT NULL CHECK (price >= 0),              -- TTC
  stock INTEGER CHECK (stock IS NULL OR stock >= 0),
  in_stock BOOLEAN NOT NULL DEFAULT TRUE,
  position INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (product_id, variant_id)
);

CREATE INDEX idx_billing_products_fts ON billing_products USING gin (fts) WHERE active;
CREATE INDEX idx_billing_products_source ON billing_products (source, synced_at);
CREATE INDEX idx_billing_products_unembedded ON billing_products (id) WHERE active AND embedding IS NULL;
CREATE UNIQUE INDEX idx_billing_products_file_sku ON billing_products (sku) WHERE source = 'file';
