-- Migration 014 — Checkout payments Wix
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_wix_checkout_payments (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id TEXT,
  checkout_id TEXT UNIQUE,
  order_id TEXT,
  status TEXT DEFAULT 'pending', -- pending | completed | failed
  amount NUMERIC(10,2),
  currency TEXT DEFAULT 'EUR',
  items JSONB DEFAULT '[]',
  customer JSONB DEFAULT '{}',
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);
