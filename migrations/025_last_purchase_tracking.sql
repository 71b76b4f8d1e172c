-- Migration 025 — Last purchase tracking
-- Transcribed as written from the specification (spec/database-schema.md).

-- Ajout colonne last_purchase_at sur leads
ALTER TABLE app_leads
  ADD COLUMN IF NOT EXISTS last_purchase_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS last_purchase_amount NUMERIC(10,2),
  ADD COLUMN IF NOT EXISTS purchase_count INTEGER DEFAULT 0,
  ADD COLUMN IF NOT EXISTS total_spend NUMERIC(10,2) DEFAULT 0;

-- RPC upsert last purchase
CREATE OR REPLACE FUNCTION upsert_lead_purchase(
  p_email TEXT,
  p_amount NUMERIC,
  p_session_id TEXT DEFAULT NULL
)
RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app_leads (email, session_id, last_purchase_at, last_purchase_amount, purchase_count, total_spend)
  VALUES (p_email, p_session_id, NOW(), p_amount, 1, p_amount)
  ON CONFLICT (email) DO UPDATE SET
    last_purchase_at = NOW(),
    last_purchase_amount = p_amount,
    purchase_count = app_leads.purchase_count + 1,
    total_spend = app_leads.total_spend + p_amount,
    updated_at = NOW();
END;
$$;
