-- Migration 002 — Colonne metadata + message_count
-- Transcribed as written from the specification (spec/database-schema.md).

-- Si pas déjà présentes (migration idempotente)
ALTER TABLE app_chat_sessions
  ADD COLUMN IF NOT EXISTS metadata JSONB DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS message_count INTEGER DEFAULT 0;
