-- Migration 019 — Agent Registry
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_agent_registry (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name TEXT UNIQUE NOT NULL,         -- ex: "sales_agent", "security_agent"
  description TEXT,
  enabled BOOLEAN DEFAULT TRUE,
  config JSONB DEFAULT '{}',         -- configuration spécifique à l'agent
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE app_agent_tool_assignments (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_name TEXT NOT NULL,
  tool_name TEXT NOT NULL,
  enabled BOOLEAN DEFAULT TRUE,
  config JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  UNIQUE(agent_name, tool_name)
);

CREATE INDEX idx_agent_tools_agent ON app_agent_tool_assignments(agent_name);
