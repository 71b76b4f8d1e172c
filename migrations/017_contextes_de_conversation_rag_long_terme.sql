-- Migration 017 — Contextes de conversation (RAG long terme)
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_conversation_contexts (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id TEXT UNIQUE NOT NULL,
  context_embedding vector(1024),
  summary TEXT,
  key_facts JSONB DEFAULT '[]',
  entities JSONB DEFAULT '{}',
  topics JSONB DEFAULT '[]',
  sentiment TEXT DEFAULT 'neutral',
  intent_history JSONB DEFAULT '[]',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_conversation_contexts_session_id
  ON app_conversation_contexts(session_id);
CREATE INDEX idx_conversation_contexts_embedding
  ON app_conversation_contexts USING ivfflat (context_embedding vector_cosine_ops)
  WITH (lists = 50);
