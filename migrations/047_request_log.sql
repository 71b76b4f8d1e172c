-- Migration 047 — Request log: exactly-once effects for requests that write.
--
-- A request declared as writing (ServiceApp.on_request(..., writes=True)) claims its request id
-- (the envelope id, AMQP message_id: stable across redelivery and client retry) here before it runs
-- (status 'running', with a lease and the runner's token), and marks it 'done' with its reply in the
-- same transaction as its effect. A redelivered or retried request finds 'done' and gets the stored
-- reply; one whose first run still holds the lease gets an `in_progress` error reply.
-- Written by the one service named in `service` (each service its own rows): libs/common/requestlog.py.

CREATE TABLE IF NOT EXISTS app_request_log (
  service TEXT NOT NULL,
  request_id UUID NOT NULL,
  request_type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done')),
  token UUID NOT NULL,
  lease_until TIMESTAMPTZ NOT NULL,
  reply JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  completed_at TIMESTAMPTZ,
  PRIMARY KEY (service, request_id)
);

CREATE INDEX IF NOT EXISTS idx_request_log_created ON app_request_log(created_at);
