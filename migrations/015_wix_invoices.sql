-- Migration 015 — Wix Invoices
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_wix_invoices (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  quote_id UUID REFERENCES app_quotes(id),
  session_id TEXT,
  wix_invoice_id TEXT UNIQUE,
  status TEXT DEFAULT 'draft', -- draft | sent | paid | overdue | cancelled
  amount NUMERIC(10,2),
  currency TEXT DEFAULT 'EUR',
  invoice_url TEXT,
  pdf_url TEXT,
  due_date DATE,
  customer_email TEXT,
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_wix_invoices_status ON app_wix_invoices(status);
CREATE INDEX idx_wix_invoices_customer_email ON app_wix_invoices(customer_email);
