-- Migration 021 — Agent Approvals & Events
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_agent_approvals (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  run_id UUID REFERENCES app_agent_runs(id),
  step_id UUID REFERENCES app_agent_run_steps(id),
  status TEXT DEFAULT 'pending',  -- pending | approved | rejected | expired
  tool_name TEXT,
  args JSONB DEFAULT '{}',
  risk_reason TEXT,
  approved_by TEXT,
  approved_at TIMESTAMPTZ,
  expires_at TIMESTAMPTZ DEFAULT NOW() + INTERVAL '24 hours',
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE app_agent_events (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  run_id UUID REFERENCES app_agent_runs(id),
  event_type TEXT NOT NULL,   -- step_started | step_completed | tool_called | approval_requested | run_completed | etc.
  data JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE app_agent_config (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  key TEXT UNIQUE NOT NULL,
  value JSONB NOT NULL,
  description TEXT,
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_agent_approvals_status ON app_agent_approvals(status);
CREATE INDEX idx_agent_events_run ON app_agent_events(run_id);
CREATE INDEX idx_agent_events_type ON app_agent_events(event_type);
