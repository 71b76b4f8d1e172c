-- Migration 009 — Mémoire IA V2 (entity memory)
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_entity_memory (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id TEXT NOT NULL,
  entity_type TEXT NOT NULL,  -- name | email | phone | preference | intent | complaint | sentiment
  entity_value TEXT NOT NULL,
  confidence FLOAT DEFAULT 1.0,
  source_message TEXT,        -- message original qui a généré l'entité
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_entity_memory_session_id ON app_entity_memory(session_id);
CREATE INDEX idx_entity_memory_type ON app_entity_memory(entity_type);
CREATE UNIQUE INDEX idx_entity_memory_unique
  ON app_entity_memory(session_id, entity_type, entity_value);
