-- Migration 068 — a Wix invoice is created at most once per attempt that may have reached Wix.
--
-- Wix's Invoices API takes no idempotency key and we know no look-up by our reference, so billing
-- commits an attempt row before it asks Wix to create a quote's invoice (its own connection, before
-- the call), and finishes it with the Wix invoice id in the transaction that records the invoice. A
-- worker that dies in between leaves an unfinished attempt: the next request for that quote's invoice
-- is refused with the reason (Wix may hold the invoice already) instead of creating a second one. An
-- attempt Wix refused (it answered with an error, or was never reached) is removed at once.

CREATE TABLE IF NOT EXISTS billing_invoice_attempts (
  -- no foreign key: the attempt is written on its own connection while the payment's transaction
  -- holds the quote row FOR UPDATE, and a key check would wait for that transaction
  quote_id UUID PRIMARY KEY,
  started_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  wix_invoice_id TEXT  -- NULL while the attempt is in flight (or its outcome unknown)
);
