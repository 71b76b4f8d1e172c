-- Migration 079 — Social publication queue: who queued a post, when it may go out, one publisher at a time.
--
-- `app_social_publication_queue` (013) is written by the workflows service only
-- (services/workflows/social.py). Added here:
-- - `scheduled_at`: the post is published not before this time once approved (NULL: at once);
-- - `source_kind` / `source_id`: who queued it (an agent's tool call, a workflow run, the owner);
-- - `updated_at`;
-- - `publish_lease_until`: a replica publishing the post holds it until then, so two replicas never
--   publish the same post at once; a lease left by a crashed replica expires and the post is taken
--   up again, starting with a look-up of any Graph post id already stored in `metadata.results`.
-- Statuses and media types are checked (pending | approved | rejected | published | failed).

ALTER TABLE app_social_publication_queue
  ADD COLUMN IF NOT EXISTS scheduled_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS source_kind TEXT NOT NULL DEFAULT 'owner',
  ADD COLUMN IF NOT EXISTS source_id TEXT,
  ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  ADD COLUMN IF NOT EXISTS publish_lease_until TIMESTAMPTZ;

ALTER TABLE app_social_publication_queue
  ADD CONSTRAINT social_queue_status_check
    CHECK (status IN ('pending', 'approved', 'rejected', 'published', 'failed')),
  ADD CONSTRAINT social_queue_media_type_check
    CHECK (media_type IS NULL OR media_type IN ('image', 'video')),
  ADD CONSTRAINT social_queue_source_kind_check
    CHECK (source_kind IN ('agent', 'workflow', 'owner'));

-- the publisher's scan: approved posts that are due
CREATE INDEX IF NOT EXISTS idx_social_queue_due
  ON app_social_publication_queue (scheduled_at NULLS FIRST)
  WHERE status = 'approved';
