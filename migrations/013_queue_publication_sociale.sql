-- Migration 013 — Queue publication sociale
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_social_publication_queue (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  content TEXT NOT NULL,
  media_url TEXT,
  media_type TEXT DEFAULT 'image', -- image | video
  platforms JSONB DEFAULT '["facebook", "instagram"]',
  status TEXT DEFAULT 'pending',   -- pending | approved | rejected | published | failed
  approved_by TEXT,
  approved_at TIMESTAMPTZ,
  published_at TIMESTAMPTZ,
  error_message TEXT,
  metadata JSONB DEFAULT '{}',
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_social_queue_status ON app_social_publication_queue(status);
CREATE INDEX idx_social_queue_created_at ON app_social_publication_queue(created_at DESC);
