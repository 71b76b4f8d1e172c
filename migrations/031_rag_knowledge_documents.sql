-- Migration 031 — RAG: one row per ingested document, chunk metadata on the v1 table.
--
-- app_knowledge_documents is the unit of (re-)ingestion: `doc_key` is a JSONL record's id, else the
-- file path or URL; `content_hash` covers the text, its attributes and the embedding model, so an
-- unchanged document is skipped and a changed one has its chunks replaced in one transaction.
-- Chunks point to their document and go with it (ON DELETE CASCADE). The spec's v1 table lacked
-- language / chunk_index / total_chunks, which v2 has: they are added so both tables carry the same
-- citation data.

CREATE TABLE IF NOT EXISTS app_knowledge_documents (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  doc_key TEXT NOT NULL,
  source TEXT NOT NULL,
  title TEXT,
  category TEXT,
  language TEXT NOT NULL DEFAULT 'fr',
  content_hash TEXT NOT NULL,
  embedding_model TEXT NOT NULL,
  chunk_table TEXT NOT NULL
    CHECK (chunk_table IN ('app_knowledge_chunks', 'app_knowledge_chunks_v2')),
  chunk_count INTEGER NOT NULL DEFAULT 0,
  metadata JSONB NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  UNIQUE (chunk_table, doc_key)
);

CREATE INDEX IF NOT EXISTS idx_knowledge_documents_source ON app_knowledge_documents(source);

ALTER TABLE app_knowledge_chunks
  ADD COLUMN IF NOT EXISTS language TEXT DEFAULT 'fr',
  ADD COLUMN IF NOT EXISTS chunk_index INTEGER,
  ADD COLUMN IF NOT EXISTS total_chunks INTEGER,
  ADD COLUMN IF NOT EXISTS document_id UUID REFERENCES app_knowledge_documents(id) ON DELETE CASCADE;

ALTER TABLE app_knowledge_chunks_v2
  ADD COLUMN IF NOT EXISTS document_id UUID REFERENCES app_knowledge_documents(id) ON DELETE CASCADE;

CREATE INDEX IF NOT EXISTS idx_knowledge_chunks_document ON app_knowledge_chunks(document_id);
CREATE INDEX IF NOT EXISTS idx_knowledge_chunks_source ON app_knowledge_chunks(source);
CREATE INDEX IF NOT EXISTS idx_knowledge_chunks_category ON app_knowledge_chunks(category);
CREATE INDEX IF NOT EXISTS idx_knowledge_chunks_language ON app_knowledge_chunks(language);
CREATE INDEX IF NOT EXISTS idx_knowledge_v2_document ON app_knowledge_chunks_v2(document_id);
CREATE INDEX IF NOT EXISTS idx_knowledge_v2_source ON app_knowledge_chunks_v2(source);
