-- Migration 010 — Config admin
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_admin_config (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  key TEXT UNIQUE NOT NULL,
  value JSONB NOT NULL,
  description TEXT,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

-- Données initiales
INSERT INTO app_admin_config (key, value, description) VALUES
  ('runtime_flags', '{"wixFirstStrict": false, "hp40BoostEnabled": false, "conversationGuardEnabled": true}', 'Feature flags runtime live'),
  ('chat_config', '{"maxTurns": 50, "sessionTtlDays": 90, "topicLockTurns": 3}', 'Configuration chatbot');
