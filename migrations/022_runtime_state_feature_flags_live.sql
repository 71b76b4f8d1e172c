-- Migration 022 — Runtime State (feature flags live)
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_runtime_state (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  key TEXT UNIQUE NOT NULL,
  value JSONB NOT NULL,
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

-- Données initiales flags
INSERT INTO app_runtime_state (key, value) VALUES
  ('wixFirstStrict', 'false'),
  ('hp40BoostEnabled', 'false'),
  ('conversationGuardEnabled', 'true'),
  ('roleLockEnabled', 'true'),
  ('v3KillSwitch', 'false'),
  ('topicLockEnabled', 'true'),
  ('socialApprovalRequired', 'true');
