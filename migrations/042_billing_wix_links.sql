-- Migration 042 — Billing: Wix checkouts and invoices tied to quotes, invoice states guarded.

ALTER TABLE app_wix_checkout_payments
  ADD COLUMN IF NOT EXISTS quote_id UUID REFERENCES app_quotes(id),
  ADD COLUMN IF NOT EXISTS checkout_url TEXT;

CREATE INDEX IF NOT EXISTS idx_wix_checkout_payments_quote_id ON app_wix_checkout_payments (quote_id);

ALTER TABLE app_wix_checkout_payments
  ADD CONSTRAINT app_wix_checkout_payments_status_check
    CHECK (status IN ('pending', 'completed', 'failed'));

ALTER TABLE app_wix_invoices
  ADD CONSTRAINT app_wix_invoices_status_check
    CHECK (status IN ('draft', 'sent', 'paid', 'overdue', 'cancelled'));

CREATE INDEX IF NOT EXISTS idx_wix_invoices_quote_id ON app_wix_invoices (quote_id);
