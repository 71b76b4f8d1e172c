-- Migration 078 — Cron tick claims (written by the workflows service).
--
-- Every replica evaluates every cron trigger; the one whose INSERT of (workflow, tick) succeeds
-- fires it, in the transaction that creates the run, so two replicas fire a tick once. `missed`
-- counts the ticks a catch-up after downtime folded into this one.

CREATE TABLE IF NOT EXISTS app_workflow_cron_ticks (
  workflow_id UUID NOT NULL REFERENCES app_workflows(id) ON DELETE CASCADE,
  tick_at TIMESTAMPTZ NOT NULL,
  claimed_by TEXT NOT NULL,
  claimed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  missed INTEGER NOT NULL DEFAULT 0,
  run_id UUID,
  PRIMARY KEY (workflow_id, tick_at)
);
