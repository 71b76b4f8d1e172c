-- Migration 018 — Product cache (catalogue Wix)
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_product_cache (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  cache_key TEXT UNIQUE NOT NULL,
  data JSONB NOT NULL,
  hit_count INTEGER DEFAULT 0,
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_product_cache_key ON app_product_cache(cache_key);
CREATE INDEX idx_product_cache_expires_at ON app_product_cache(expires_at);
