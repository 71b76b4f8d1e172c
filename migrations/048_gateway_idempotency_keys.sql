-- Migration 048 — HTTP Idempotency-Key: the gateway's record of POSTs sent with one.
--
-- Keyed by (scope, key): the scope is the caller (a hash of its session or admin token, or its
-- address when it has none), so two callers never share a key. `fingerprint` is a hash of the method,
-- path and body: the same key with another request is refused (422). `request_id` is the id the
-- gateway hands the services for it (their request log makes the effect happen once). While the
-- first request runs (`running`, within its lease) a retry gets 409; once it is `done`, a retry gets
-- the stored status, headers and body. Written by the gateway only (services/gateway/idempotency.py).

CREATE TABLE IF NOT EXISTS app_idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  request_id UUID NOT NULL,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done')),
  token UUID NOT NULL,
  lease_until TIMESTAMPTZ NOT NULL,
  response_status INTEGER,
  response_headers JSONB,
  response_body BYTEA,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  completed_at TIMESTAMPTZ,
  PRIMARY KEY (scope, key)
);

CREATE INDEX IF NOT EXISTS idx_idempotency_keys_created ON app_idempotency_keys(created_at);
