-- Migration 076 — Workflows: unique names, cron baseline (written by the workflows service).
--
-- The CLI and the admin API address a workflow by its name, so names are unique. `cron_since` is
-- when the cron trigger started counting: a workflow created or re-enabled now does not catch up
-- ticks from before that moment. `seed_key` marks the example workflows the service seeds (one row
-- per key, never re-created once the owner deleted or changed it).

CREATE UNIQUE INDEX IF NOT EXISTS idx_workflows_name ON app_workflows (name);
ALTER TABLE app_workflows ADD COLUMN IF NOT EXISTS cron_since TIMESTAMPTZ;
ALTER TABLE app_workflows ADD COLUMN IF NOT EXISTS seed_key TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS idx_workflows_seed_key ON app_workflows (seed_key) WHERE seed_key IS NOT NULL;
-- the example workflows once seeded: one the owner deleted is not seeded again
CREATE TABLE IF NOT EXISTS app_workflow_seeds (
  seed_key TEXT PRIMARY KEY,
  seeded_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_workflows_cron ON app_workflows (enabled) WHERE trigger_cron IS NOT NULL;
