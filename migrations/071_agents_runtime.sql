-- Migration 071 — Agents runtime: what 019–021 lack to run agents durably (written by the agents service).
--
-- Objectives name their agent; runs count per objective (unique run_number), carry their stop reason,
-- the time they were active (approval waits excluded), a step sequence number and a lease, so one run
-- is advanced by one worker at a time and another takes it over when that worker dies. Tool calls
-- carry a status (recorded before they run, so a resumed run never runs one twice) and the id the
-- model gave them; approvals name their tool call, its risk and the owner's reason.

ALTER TABLE app_agent_objectives
  ADD COLUMN IF NOT EXISTS agent_name TEXT,
  ADD COLUMN IF NOT EXISTS priority_score INTEGER NOT NULL DEFAULT 0;

ALTER TABLE app_agent_runs
  ADD COLUMN IF NOT EXISTS stop_reason TEXT,
  ADD COLUMN IF NOT EXISTS seq INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS lease_token UUID,
  ADD COLUMN IF NOT EXISTS lease_expires_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS active_ms BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS active_since TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW();

CREATE UNIQUE INDEX IF NOT EXISTS idx_agent_runs_objective_number ON app_agent_runs (objective_id, run_number);
CREATE INDEX IF NOT EXISTS idx_agent_runs_status ON app_agent_runs (status, started_at DESC);
-- the recovery sweep: running runs whose lease lapsed
CREATE INDEX IF NOT EXISTS idx_agent_runs_lease ON app_agent_runs (lease_expires_at) WHERE status = 'running';

CREATE UNIQUE INDEX IF NOT EXISTS idx_agent_steps_run_number ON app_agent_run_steps (run_id, step_number);

ALTER TABLE app_agent_tool_calls
  ADD COLUMN IF NOT EXISTS status TEXT NOT NULL DEFAULT 'pending',
  ADD COLUMN IF NOT EXISTS error TEXT,
  ADD COLUMN IF NOT EXISTS llm_call_id TEXT,
  ADD COLUMN IF NOT EXISTS position INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS raw_arguments TEXT,
  ADD COLUMN IF NOT EXISTS risk_level TEXT,
  ADD COLUMN IF NOT EXISTS started_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS finished_at TIMESTAMPTZ;

CREATE INDEX IF NOT EXISTS idx_agent_tool_calls_step ON app_agent_tool_calls (step_id, position);

ALTER TABLE app_agent_approvals
  ADD COLUMN IF NOT EXISTS tool_call_id UUID REFERENCES app_agent_tool_calls(id),
  ADD COLUMN IF NOT EXISTS risk_level TEXT,
  ADD COLUMN IF NOT EXISTS decision_reason TEXT;

CREATE INDEX IF NOT EXISTS idx_agent_approvals_pending_expiry ON app_agent_approvals (expires_at)
  WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS idx_agent_events_created ON app_agent_events (created_at);

-- The three agents, the tools each may use, and the defaults every agent starts from.
INSERT INTO app_agent_registry (name, description, config) VALUES
  ('sales_agent', 'Relance les leads et prépare des devis à partir du catalogue.', '{}'),
  ('content_agent', 'Rédige des posts pour les réseaux sociaux et des e-mails.', '{}'),
  ('security_agent', 'Résume les incidents de sécurité et suggère des changements de réglages.', '{}')
ON CONFLICT (name) DO NOTHING;

INSERT INTO app_agent_tool_assignments (agent_name, tool_name) VALUES
  ('sales_agent', 'search_knowledge'), ('sales_agent', 'get_company_facts'), ('sales_agent', 'list_leads'),
  ('sales_agent', 'get_lead'), ('sales_agent', 'get_conversation'), ('sales_agent', 'search_products'),
  ('sales_agent', 'create_quote'), ('sales_agent', 'send_email'), ('sales_agent', 'update_lead'),
  ('sales_agent', 'notify_owner'),
  ('content_agent', 'search_knowledge'), ('content_agent', 'get_company_facts'),
  ('content_agent', 'search_products'), ('content_agent', 'enqueue_social_post'),
  ('content_agent', 'send_email'), ('content_agent', 'notify_owner'),
  ('security_agent', 'get_company_facts'), ('security_agent', 'list_incidents'),
  ('security_agent', 'get_conversation'), ('security_agent', 'notify_owner')
ON CONFLICT (agent_name, tool_name) DO NOTHING;

INSERT INTO app_agent_config (key, value, description) VALUES
  ('default_budget', '{"max_steps": 10, "max_tool_calls": 20, "max_duration_ms": 300000}',
   'budget of an objective that names none'),
  ('approval_policy', '{"min_risk": "medium"}',
   'lowest tool risk that needs the owner''s approval when an objective names none'),
  ('model', 'null', 'LLM model of every agent (null: LLM_MODEL)'),
  ('temperature', '0.2', 'sampling temperature of every agent'),
  ('approval_ttl_hours', '24', 'hours an approval waits before it expires and the run is cancelled')
ON CONFLICT (key) DO NOTHING;
