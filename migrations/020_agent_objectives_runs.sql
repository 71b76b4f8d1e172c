-- Migration 020 — Agent Objectives & Runs
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_agent_objectives (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  status TEXT DEFAULT 'pending',  -- pending | running | completed | failed | cancelled
  priority TEXT DEFAULT 'medium', -- low | medium | high
  tools_allowed JSONB DEFAULT '[]',
  budget JSONB DEFAULT '{"maxSteps": 20, "maxToolCalls": 50, "maxDurationMs": 300000}',
  risk_level TEXT DEFAULT 'medium', -- low | medium | high
  created_by TEXT DEFAULT 'admin',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE app_agent_runs (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  objective_id UUID REFERENCES app_agent_objectives(id),
  run_number INTEGER DEFAULT 1,
  status TEXT DEFAULT 'running', -- running | completed | failed | paused | cancelled
  steps_count INTEGER DEFAULT 0,
  tool_calls_count INTEGER DEFAULT 0,
  started_at TIMESTAMPTZ DEFAULT NOW(),
  completed_at TIMESTAMPTZ,
  summary TEXT,
  metadata JSONB DEFAULT '{}'
);

CREATE TABLE app_agent_run_steps (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  run_id UUID REFERENCES app_agent_runs(id),
  step_number INTEGER NOT NULL,
  thought TEXT,
  tool TEXT,
  args JSONB DEFAULT '{}',
  result JSONB DEFAULT '{}',
  status TEXT DEFAULT 'pending', -- pending | executing | completed | failed
  risk_level TEXT DEFAULT 'low',
  duration_ms INTEGER,
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE app_agent_tool_calls (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  step_id UUID REFERENCES app_agent_run_steps(id),
  run_id UUID REFERENCES app_agent_runs(id),
  tool_name TEXT NOT NULL,
  args JSONB DEFAULT '{}',
  result JSONB DEFAULT '{}',
  success BOOLEAN DEFAULT TRUE,
  duration_ms INTEGER,
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_agent_runs_objective ON app_agent_runs(objective_id);
CREATE INDEX idx_agent_steps_run ON app_agent_run_steps(run_id);
CREATE INDEX idx_agent_tool_calls_run ON app_agent_tool_calls(run_id);
