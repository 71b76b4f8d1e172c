-- Migration 044 — Platform: files behind the storage port (libs/storage), Postgres backend.
--
-- Quote PDFs (and later media) are kept in the database by default, so every replica reads the
-- same files, with the embedded database and on Kubernetes without a shared volume. The platform
-- library (libs/storage/postgres.py) writes this table on behalf of the calling service, whose name
-- is `written_by`: a key written by one service is never replaced or deleted by another. The
-- gateway only reads (GET /v1/files/...). An S3-compatible store replaces this table when
-- COMPTOIR_STORAGE=s3.

CREATE TABLE IF NOT EXISTS app_files (
  key TEXT PRIMARY KEY CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9._/-]*$' AND length(key) <= 1608 AND key NOT LIKE '%..%'),
  content_type TEXT NOT NULL CHECK (length(content_type) BETWEEN 3 AND 255),
  size BIGINT NOT NULL CHECK (size >= 0),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  data BYTEA NOT NULL CHECK (octet_length(data) = size),
  written_by TEXT NOT NULL CHECK (length(written_by) BETWEEN 1 AND 64),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- PDFs and images are compressed already: store them out of line without pglz
ALTER TABLE app_files ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE INDEX IF NOT EXISTS idx_app_files_writer ON app_files (written_by, key);
