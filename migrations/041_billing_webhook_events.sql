-- Migration 041 — Billing: provider webhook events, processed once.
--
-- Stripe and Wix retry webhooks (Stripe for up to 3 days, Wix for 48 h), unordered and possibly
-- duplicated. The consumer inserts (provider, event_id) in the same transaction as the effects, so
-- a retried event has no second effect. Events that could not be applied (unknown checkout,
-- expired quote, amount or currency mismatch) stay here with their reason for an operator, and so
-- do webhooks the gateway refused (bad signature, stale timestamp), under a synthetic event id.

CREATE TABLE IF NOT EXISTS app_billing_webhook_events (
  provider TEXT NOT NULL CHECK (provider IN ('stripe', 'wix')),
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('processed', 'ignored', 'parked', 'rejected')),
  reason TEXT,
  quote_id UUID REFERENCES app_quotes(id),
  payload JSONB NOT NULL DEFAULT '{}',
  received_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (provider, event_id)
);

CREATE INDEX IF NOT EXISTS idx_billing_webhook_events_status
  ON app_billing_webhook_events (status, received_at DESC);
