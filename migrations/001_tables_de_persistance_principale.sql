-- Migration 001 — Tables de persistance principale
-- Transcribed as written from the specification (spec/database-schema.md).

-- Sessions conversationnelles
CREATE TABLE app_chat_sessions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id TEXT UNIQUE NOT NULL,
  messages JSONB NOT NULL DEFAULT '[]',
  summary TEXT,
  message_count INTEGER DEFAULT 0,
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_chat_sessions_session_id ON app_chat_sessions(session_id);
CREATE INDEX idx_chat_sessions_updated_at ON app_chat_sessions(updated_at);

-- Leads
CREATE TABLE app_leads (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id TEXT,
  email TEXT,
  name TEXT,
  phone TEXT,
  source TEXT DEFAULT 'chatbot',
  score INTEGER DEFAULT 0,
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_leads_email ON app_leads(email);
CREATE INDEX idx_leads_session_id ON app_leads(session_id);
CREATE INDEX idx_leads_created_at ON app_leads(created_at DESC);
