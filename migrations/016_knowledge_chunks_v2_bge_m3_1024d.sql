-- Migration 016 — Knowledge chunks V2 (bge-m3, 1024D)
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_knowledge_chunks_v2 (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  content TEXT NOT NULL,
  embedding vector(1024),    -- BAAI/bge-m3 multilingual
  source TEXT,
  category TEXT,
  language TEXT DEFAULT 'fr',
  chunk_index INTEGER,
  total_chunks INTEGER,
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_knowledge_v2_embedding
  ON app_knowledge_chunks_v2 USING ivfflat (embedding vector_cosine_ops)
  WITH (lists = 100);

CREATE INDEX idx_knowledge_v2_category ON app_knowledge_chunks_v2(category);
CREATE INDEX idx_knowledge_v2_language ON app_knowledge_chunks_v2(language);

-- RPC similarity search V2
CREATE OR REPLACE FUNCTION match_app_chunks_v2(
  query_embedding vector(1024),
  match_count INTEGER DEFAULT 5,
  match_threshold FLOAT DEFAULT 0.65
)
RETURNS TABLE (id UUID, content TEXT, source TEXT, category TEXT, language TEXT, similarity FLOAT)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT
    c.id, c.content, c.source, c.category, c.language,
    1 - (c.embedding <=> query_embedding) AS similarity
  FROM app_knowledge_chunks_v2 c
  WHERE 1 - (c.embedding <=> query_embedding) > match_threshold
  ORDER BY c.embedding <=> query_embedding
  LIMIT match_count;
END;
$$;
