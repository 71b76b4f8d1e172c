-- Migration 028 — Platform messaging: transactional outbox (also the event log), consumer inbox.
--
-- app_outbox: every event is written here in the same transaction as the state change that
-- causes it. The relay publishes rows in `seq` order with publisher confirms and sets
-- published_at; published rows are kept for OUTBOX_RETENTION_DAYS as the replayable event log.
-- app_inbox: a consumer records each processed message id in the same transaction as its effects.

CREATE TABLE IF NOT EXISTS app_outbox (
  seq BIGSERIAL PRIMARY KEY,
  id UUID NOT NULL UNIQUE,
  aggregate_id TEXT NOT NULL,
  type TEXT NOT NULL,
  envelope JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  published_at TIMESTAMPTZ,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);

CREATE INDEX IF NOT EXISTS idx_outbox_pending ON app_outbox(seq) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_outbox_published_at ON app_outbox(published_at) WHERE published_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_outbox_type_created ON app_outbox(type, created_at);
CREATE INDEX IF NOT EXISTS idx_outbox_aggregate ON app_outbox(aggregate_id, seq);

CREATE OR REPLACE FUNCTION app_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('comptoir_outbox', '');
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS trg_outbox_notify ON app_outbox;
CREATE TRIGGER trg_outbox_notify AFTER INSERT ON app_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION app_outbox_notify();

CREATE TABLE IF NOT EXISTS app_inbox (
  consumer TEXT NOT NULL,
  message_id UUID NOT NULL,
  message_type TEXT NOT NULL,
  processed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (consumer, message_id)
);

CREATE INDEX IF NOT EXISTS idx_inbox_processed_at ON app_inbox(processed_at);

-- The event log read by replay tools: published events, oldest first.
CREATE OR REPLACE VIEW app_event_log AS
  SELECT seq, id, aggregate_id, type, envelope, created_at, published_at
  FROM app_outbox
  WHERE published_at IS NOT NULL;
