-- Migration 004 — Logs admin
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_admin_logs (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  level TEXT DEFAULT 'info', -- info | warn | error | security
  category TEXT,             -- chat | security | memory | agent | system
  session_id TEXT,
  message TEXT NOT NULL,
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_admin_logs_created_at ON app_admin_logs(created_at DESC);
CREATE INDEX idx_admin_logs_level ON app_admin_logs(level);
CREATE INDEX idx_admin_logs_category ON app_admin_logs(category);

-- Conversation admin (super chat)
CREATE TABLE app_admin_conversation (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  role TEXT NOT NULL, -- user | assistant
  content TEXT NOT NULL,
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW()
);
