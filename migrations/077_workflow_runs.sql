-- Migration 077 — Workflow run history (written by the workflows service).
--
-- One row per run (a trigger firing one workflow) and one row per step attempt. A run is unique per
-- (workflow, trigger kind, trigger ref): an event id, a cron tick or a manual request id fires a
-- workflow once. Runs are the work queue too: a replica leases a due run (`lease_until`), `resume_at`
-- holds a delayed or backing-off run without holding a worker. A step attempt row is written
-- (status `running`) before the step's side effect and completed with the provider's id after, so a
-- crash leaves a `running` attempt the next owner of the run recognises as in flight.

CREATE TABLE IF NOT EXISTS app_workflow_runs (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_id UUID NOT NULL REFERENCES app_workflows(id) ON DELETE CASCADE,
  workflow_name TEXT NOT NULL,
  trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('event', 'cron', 'manual')),
  trigger_ref TEXT NOT NULL,
  definition JSONB NOT NULL DEFAULT '{}',   -- steps and settings as they were when the run was created
  input JSONB NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'waiting', 'completed', 'failed')),
  step_index INTEGER NOT NULL DEFAULT 0,
  outputs JSONB NOT NULL DEFAULT '{}',
  error TEXT,
  scheduled_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  resume_at TIMESTAMPTZ,
  lease_owner TEXT,
  lease_until TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  started_at TIMESTAMPTZ,
  first_step_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  UNIQUE (workflow_id, trigger_kind, trigger_ref)
);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_due ON app_workflow_runs (resume_at NULLS FIRST, created_at)
  WHERE status IN ('queued', 'running', 'waiting');
CREATE INDEX IF NOT EXISTS idx_workflow_runs_workflow ON app_workflow_runs (workflow_id, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_workflow_runs_created ON app_workflow_runs (created_at DESC);

CREATE TABLE IF NOT EXISTS app_workflow_step_runs (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  run_id UUID NOT NULL REFERENCES app_workflow_runs(id) ON DELETE CASCADE,
  step_index INTEGER NOT NULL,
  step_type TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'unknown')),
  idempotency_key TEXT NOT NULL,
  input JSONB NOT NULL DEFAULT '{}',
  output JSONB,
  provider_id TEXT,
  error TEXT,
  started_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  finished_at TIMESTAMPTZ,
  duration_ms INTEGER,
  UNIQUE (run_id, step_index, attempt)
);
CREATE INDEX IF NOT EXISTS idx_workflow_step_runs_run ON app_workflow_step_runs (run_id, step_index, attempt);
