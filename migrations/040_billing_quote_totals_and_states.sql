-- Migration 040 — Billing: exact totals and guarded states on quotes.
--
-- 005 keeps a single `total`; a quote shows VAT-exclusive and VAT-inclusive amounts, so the parts
-- are stored beside it (total = gross = subtotal_net + vat_amount). Status and type get CHECK
-- constraints so no writer can store a state the billing rules do not know.

ALTER TABLE app_quotes
  ADD COLUMN IF NOT EXISTS subtotal_net NUMERIC(10,2),
  ADD COLUMN IF NOT EXISTS vat_amount NUMERIC(10,2),
  ADD COLUMN IF NOT EXISTS vat_rate NUMERIC(5,4),
  ADD COLUMN IF NOT EXISTS prices_include_vat BOOLEAN NOT NULL DEFAULT TRUE,
  ADD COLUMN IF NOT EXISTS paid_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS expired_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW();

ALTER TABLE app_quotes
  ADD CONSTRAINT app_quotes_status_check
    CHECK (status IN ('pending', 'paid', 'expired', 'cancelled')),
  ADD CONSTRAINT app_quotes_type_check
    CHECK (type IN ('product', 'custom', 'pdf')),
  ADD CONSTRAINT app_quotes_total_check
    CHECK (total IS NULL OR total >= 0),
  ADD CONSTRAINT app_quotes_parts_check
    CHECK (subtotal_net IS NULL OR vat_amount IS NULL OR total = subtotal_net + vat_amount);

-- The expiry job scans pending quotes by deadline (an immutable predicate, unlike `< NOW()`).
CREATE INDEX IF NOT EXISTS idx_quotes_pending_expires_at
  ON app_quotes (expires_at) WHERE status = 'pending';

-- A webhook finds its quote by the provider's checkout id.
CREATE UNIQUE INDEX IF NOT EXISTS idx_quotes_stripe_session_id
  ON app_quotes (stripe_session_id) WHERE stripe_session_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS idx_quotes_wix_checkout_id
  ON app_quotes (wix_checkout_id) WHERE wix_checkout_id IS NOT NULL;
