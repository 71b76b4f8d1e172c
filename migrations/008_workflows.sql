-- Migration 008 — Workflows
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_workflows (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name TEXT NOT NULL,
  description TEXT,
  trigger_event TEXT,         -- event name qui déclenche le workflow
  trigger_cron TEXT,          -- expression cron (optionnel)
  steps JSONB NOT NULL DEFAULT '[]', -- liste d'actions
  settings JSONB DEFAULT '{}',       -- concurrency, rate_limit_ms, etc.
  enabled BOOLEAN DEFAULT TRUE,
  last_run_at TIMESTAMPTZ,
  last_run_status TEXT,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

-- Structure d'un step de workflow :
-- {
--   "type": "publish_facebook|send_email|send_whatsapp|generate_text|upload_drive|...",
--   "config": { ... paramètres spécifiques au type },
--   "retry": { "max": 3, "base_delay_ms": 1000 },
--   "timeout_ms": 30000
-- }

CREATE INDEX idx_workflows_trigger_event ON app_workflows(trigger_event);
CREATE INDEX idx_workflows_enabled ON app_workflows(enabled);
