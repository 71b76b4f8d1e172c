-- Migration 005 — Devis (quotes)
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_quotes (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id TEXT,
  email TEXT,
  items JSONB NOT NULL DEFAULT '[]',
  total NUMERIC(10,2),
  currency TEXT DEFAULT 'EUR',
  status TEXT DEFAULT 'pending', -- pending | paid | expired | cancelled
  checkout_url TEXT,
  invoice_url TEXT,
  pdf_url TEXT,
  wix_checkout_id TEXT,
  wix_invoice_id TEXT,
  stripe_session_id TEXT,
  type TEXT DEFAULT 'product', -- product | custom | pdf
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  expires_at TIMESTAMPTZ DEFAULT NOW() + INTERVAL '48 hours'
);

CREATE INDEX idx_quotes_session_id ON app_quotes(session_id);
CREATE INDEX idx_quotes_email ON app_quotes(email);
CREATE INDEX idx_quotes_status ON app_quotes(status);
