-- Migration 056 — RAG: a BM25 lexical index kept in Postgres.
--
-- The terms come from libs.lexical (accent folding, elision, stop words, Snowball stems), computed by
-- the rag service at ingestion and written beside the chunks in the same transaction. One posting
-- row per (term, chunk) with the term's frequency `tf` in the chunk and the chunk's length `dl` in
-- terms; `impact` orders a term's postings best first, so a query reads at most a few thousand
-- postings of a term that is everywhere (its inverse document frequency is low anyway).
-- Document frequencies and the collection's size/length live in two statistics tables, maintained by
-- statement triggers on the postings (insert, and delete — including the cascade from a chunk), so
-- every replica ranks with the same numbers. The triggers take a transaction advisory lock per chunk
-- table: statistics writers queue instead of deadlocking on shared terms.
-- The generated French/English `fts` column of migration 032 (ts_rank_cd, no IDF) is replaced by this
-- index; the column and its GIN index go, which also makes ingestion cheaper.

CREATE TABLE IF NOT EXISTS app_knowledge_terms (
  term TEXT NOT NULL,
  chunk_id UUID NOT NULL REFERENCES app_knowledge_chunks(id) ON DELETE CASCADE,
  tf REAL NOT NULL,
  dl INTEGER NOT NULL,
  impact REAL GENERATED ALWAYS AS (tf / (tf + 1.2 * (0.25 + 0.75 * dl / 100.0))) STORED,
  PRIMARY KEY (term, chunk_id)
);
CREATE INDEX IF NOT EXISTS idx_knowledge_terms_impact
  ON app_knowledge_terms (term, impact DESC) INCLUDE (chunk_id, tf, dl);
CREATE INDEX IF NOT EXISTS idx_knowledge_terms_chunk ON app_knowledge_terms (chunk_id);

CREATE TABLE IF NOT EXISTS app_knowledge_terms_v2 (
  term TEXT NOT NULL,
  chunk_id UUID NOT NULL REFERENCES app_knowledge_chunks_v2(id) ON DELETE CASCADE,
  tf REAL NOT NULL,
  dl INTEGER NOT NULL,
  impact REAL GENERATED ALWAYS AS (tf / (tf + 1.2 * (0.25 + 0.75 * dl / 100.0))) STORED,
  PRIMARY KEY (term, chunk_id)
);
CREATE INDEX IF NOT EXISTS idx_knowledge_terms_v2_impact
  ON app_knowledge_terms_v2 (term, impact DESC) INCLUDE (chunk_id, tf, dl);
CREATE INDEX IF NOT EXISTS idx_knowledge_terms_v2_chunk ON app_knowledge_terms_v2 (chunk_id);

-- df per term, per chunk table
CREATE TABLE IF NOT EXISTS app_knowledge_term_stats (
  chunk_table TEXT NOT NULL,
  term TEXT NOT NULL,
  df INTEGER NOT NULL,
  PRIMARY KEY (chunk_table, term)
);

-- collection size and total length (in terms) per chunk table; `analyzer` names the analysis the
-- postings were made with (the service re-indexes when it changes)
CREATE TABLE IF NOT EXISTS app_knowledge_lexical_stats (
  chunk_table TEXT PRIMARY KEY,
  chunks BIGINT NOT NULL DEFAULT 0,
  total_length BIGINT NOT NULL DEFAULT 0,
  analyzer TEXT
);
INSERT INTO app_knowledge_lexical_stats (chunk_table) VALUES ('app_knowledge_chunks'), ('app_knowledge_chunks_v2')
ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION app_knowledge_terms_added() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  tbl TEXT := TG_ARGV[0];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('app_knowledge_lexical:' || tbl));
  INSERT INTO app_knowledge_term_stats AS s (chunk_table, term, df)
    SELECT tbl, term, count(*) FROM added GROUP BY term ORDER BY term
  ON CONFLICT (chunk_table, term) DO UPDATE SET df = s.df + EXCLUDED.df;
  UPDATE app_knowledge_lexical_stats st
     SET chunks = st.chunks + c.n, total_length = st.total_length + c.len
    FROM (SELECT count(*) AS n, coalesce(sum(dl), 0) AS len
            FROM (SELECT DISTINCT chunk_id, dl FROM added) d) c
   WHERE st.chunk_table = tbl;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION app_knowledge_terms_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  tbl TEXT := TG_ARGV[0];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('app_knowledge_lexical:' || tbl));
  UPDATE app_knowledge_term_stats s SET df = s.df - r.n
    FROM (SELECT term, count(*) AS n FROM removed GROUP BY term ORDER BY term) r
   WHERE s.chunk_table = tbl AND s.term = r.term;
  DELETE FROM app_knowledge_term_stats WHERE chunk_table = tbl AND df <= 0;
  UPDATE app_knowledge_lexical_stats st
     SET chunks = greatest(st.chunks - c.n, 0), total_length = greatest(st.total_length - c.len, 0)
    FROM (SELECT count(*) AS n, coalesce(sum(dl), 0) AS len
            FROM (SELECT DISTINCT chunk_id, dl FROM removed) d) c
   WHERE st.chunk_table = tbl;
  RETURN NULL;
END;
$$;

CREATE TRIGGER app_knowledge_terms_added AFTER INSERT ON app_knowledge_terms
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT
  EXECUTE FUNCTION app_knowledge_terms_added('app_knowledge_chunks');
CREATE TRIGGER app_knowledge_terms_removed AFTER DELETE ON app_knowledge_terms
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
  EXECUTE FUNCTION app_knowledge_terms_removed('app_knowledge_chunks');
CREATE TRIGGER app_knowledge_terms_v2_added AFTER INSERT ON app_knowledge_terms_v2
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT
  EXECUTE FUNCTION app_knowledge_terms_added('app_knowledge_chunks_v2');
CREATE TRIGGER app_knowledge_terms_v2_removed AFTER DELETE ON app_knowledge_terms_v2
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
  EXECUTE FUNCTION app_knowledge_terms_removed('app_knowledge_chunks_v2');

-- TRUNCATE skips delete triggers: statistics follow by hand
CREATE OR REPLACE FUNCTION app_knowledge_terms_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM app_knowledge_term_stats WHERE chunk_table = TG_ARGV[0];
  UPDATE app_knowledge_lexical_stats SET chunks = 0, total_length = 0 WHERE chunk_table = TG_ARGV[0];
  RETURN NULL;
END;
$$;
CREATE TRIGGER app_knowledge_terms_truncated AFTER TRUNCATE ON app_knowledge_terms
  FOR EACH STATEMENT EXECUTE FUNCTION app_knowledge_terms_truncated('app_knowledge_chunks');
CREATE TRIGGER app_knowledge_terms_v2_truncated AFTER TRUNCATE ON app_knowledge_terms_v2
  FOR EACH STATEMENT EXECUTE FUNCTION app_knowledge_terms_truncated('app_knowledge_chunks_v2');

DROP INDEX IF EXISTS idx_knowledge_chunks_fts;
DROP INDEX IF EXISTS idx_knowledge_v2_fts;
ALTER TABLE app_knowledge_chunks DROP COLUMN IF EXISTS fts;
ALTER TABLE app_knowledge_chunks_v2 DROP COLUMN IF EXISTS fts;
