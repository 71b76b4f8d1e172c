-- Migration 003 — Système RAG (Knowledge base)
-- Transcribed as written from the specification (spec/database-schema.md).

-- pgvector requis
CREATE EXTENSION IF NOT EXISTS vector;

-- Chunks de connaissance legacy (MiniLM-L6-v2, 384D)
CREATE TABLE app_knowledge_chunks (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  content TEXT NOT NULL,
  embedding vector(384),
  source TEXT,
  category TEXT,
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_knowledge_chunks_embedding
  ON app_knowledge_chunks USING ivfflat (embedding vector_cosine_ops)
  WITH (lists = 100);

-- RPC pour similarity search
CREATE OR REPLACE FUNCTION match_app_chunks(
  query_embedding vector(384),
  match_count INTEGER DEFAULT 5,
  match_threshold FLOAT DEFAULT 0.7
)
RETURNS TABLE (id UUID, content TEXT, source TEXT, category TEXT, similarity FLOAT)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT
    c.id, c.content, c.source, c.category,
    1 - (c.embedding <=> query_embedding) AS similarity
  FROM app_knowledge_chunks c
  WHERE 1 - (c.embedding <=> query_embedding) > match_threshold
  ORDER BY c.embedding <=> query_embedding
  LIMIT match_count;
END;
$$;
