-- Migration 029 — HNSW vector indexes, one source of truth for runtime flags (+ NOTIFY), and
-- row-level security for Supabase and plain Postgres.
--
-- RLS lives here rather than in 030 because it needs a DO block, and 030 (no-transaction) is split
-- on semicolons at line ends by the runner, which would cut a DO body apart.

-- 1. Vector indexes. IVFFlat computes its lists from the rows present at build time: built on the
-- empty tables of 003/016/017 it has poor recall forever after. HNSW needs no training and suits a
-- growing knowledge base. m / ef_construction are pgvector's defaults, stated so they are visible.
DROP INDEX IF EXISTS idx_knowledge_chunks_embedding;
CREATE INDEX idx_knowledge_chunks_embedding
  ON app_knowledge_chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

DROP INDEX IF EXISTS idx_knowledge_v2_embedding;
CREATE INDEX idx_knowledge_v2_embedding
  ON app_knowledge_chunks_v2 USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

DROP INDEX IF EXISTS idx_conversation_contexts_embedding;
CREATE INDEX idx_conversation_contexts_embedding
  ON app_conversation_contexts USING hnsw (context_embedding vector_cosine_ops)
  WITH (m = 16, ef_construction = 64);

-- Same signatures and results as 003/016. The nearest match_count rows are taken first (a pure
-- index-ordered scan), then the threshold is applied: rows above a similarity threshold are a
-- prefix of the distance order, so this equals "filter, then limit", while a filter inside the
-- scan would make HNSW return too few rows. Iterative scans let match_count exceed ef_search.
CREATE OR REPLACE FUNCTION match_app_chunks(
  query_embedding vector(384),
  match_count INTEGER DEFAULT 5,
  match_threshold FLOAT DEFAULT 0.7
)
RETURNS TABLE (id UUID, content TEXT, source TEXT, category TEXT, similarity FLOAT)
LANGUAGE plpgsql
SET hnsw.iterative_scan = 'relaxed_order'
AS $$
BEGIN
  RETURN QUERY
  WITH nearest AS MATERIALIZED (
    SELECT c.id, c.content, c.source, c.category, c.embedding <=> query_embedding AS distance
    FROM app_knowledge_chunks c
    ORDER BY c.embedding <=> query_embedding
    LIMIT match_count
  )
  SELECT n.id, n.content, n.source, n.category, 1 - n.distance
  FROM nearest n
  WHERE 1 - n.distance > match_threshold
  ORDER BY n.distance;
END;
$$;

CREATE OR REPLACE FUNCTION match_app_chunks_v2(
  query_embedding vector(1024),
  match_count INTEGER DEFAULT 5,
  match_threshold FLOAT DEFAULT 0.65
)
RETURNS TABLE (id UUID, content TEXT, source TEXT, category TEXT, language TEXT, similarity FLOAT)
LANGUAGE plpgsql
SET hnsw.iterative_scan = 'relaxed_order'
AS $$
BEGIN
  RETURN QUERY
  WITH nearest AS MATERIALIZED (
    SELECT c.id, c.content, c.source, c.category, c.language,
           c.embedding <=> query_embedding AS distance
    FROM app_knowledge_chunks_v2 c
    ORDER BY c.embedding <=> query_embedding
    LIMIT match_count
  )
  SELECT n.id, n.content, n.source, n.category, n.language, 1 - n.distance
  FROM nearest n
  WHERE 1 - n.distance > match_threshold
  ORDER BY n.distance;
END;
$$;

-- 2. Runtime flags: app_runtime_state (one row per flag) is the only source of truth. Flags only
-- present in app_admin_config.runtime_flags are copied over, the duplicate key is removed, and
-- writing it again is refused with a pointer to the right table. get_runtime_flags() gives the
-- old one-object view for readers that want it.
INSERT INTO app_runtime_state (key, value)
SELECT f.key, f.value
FROM app_admin_config c CROSS JOIN LATERAL jsonb_each(c.value) AS f
WHERE c.key = 'runtime_flags' AND jsonb_typeof(c.value) = 'object'
ON CONFLICT (key) DO NOTHING;

DELETE FROM app_admin_config WHERE key = 'runtime_flags';

CREATE OR REPLACE FUNCTION get_runtime_flags()
RETURNS JSONB
LANGUAGE sql STABLE AS $$
  SELECT COALESCE(jsonb_object_agg(s.key, s.value ORDER BY s.key), '{}'::JSONB) FROM app_runtime_state s
$$;

CREATE OR REPLACE FUNCTION app_admin_config_refuse_runtime_flags()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'runtime flags live in app_runtime_state (one row per flag), not in app_admin_config'
    USING ERRCODE = '22023', HINT = 'UPDATE app_runtime_state SET value = ... WHERE key = ...';
END;
$$;

DROP TRIGGER IF EXISTS trg_admin_config_refuse_runtime_flags ON app_admin_config;
CREATE TRIGGER trg_admin_config_refuse_runtime_flags
  BEFORE INSERT OR UPDATE ON app_admin_config
  FOR EACH ROW WHEN (NEW.key = 'runtime_flags')
  EXECUTE FUNCTION app_admin_config_refuse_runtime_flags();

-- Services LISTEN on these channels to apply a change live; the payload is the changed key.
CREATE OR REPLACE FUNCTION app_notify_key_change()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify(TG_ARGV[0], OLD.key);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.key IS DISTINCT FROM OLD.key) THEN
    PERFORM pg_notify(TG_ARGV[0], NEW.key);
  END IF;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS trg_runtime_state_notify ON app_runtime_state;
CREATE TRIGGER trg_runtime_state_notify
  AFTER INSERT OR UPDATE OR DELETE ON app_runtime_state
  FOR EACH ROW EXECUTE FUNCTION app_notify_key_change('comptoir_runtime_flags');

DROP TRIGGER IF EXISTS trg_admin_config_notify ON app_admin_config;
CREATE TRIGGER trg_admin_config_notify
  AFTER INSERT OR UPDATE OR DELETE ON app_admin_config
  FOR EACH ROW EXECUTE FUNCTION app_notify_key_change('comptoir_admin_config');

-- 3. Row-level security on the spec's sensitive tables.
-- - Plain Postgres: role comptoir_service (NOLOGIN; grant it to the services' login role) gets a
--   full-access policy and table privileges. No FORCE: the table owner (the role that migrates,
--   and by default the one services connect as) keeps bypassing RLS, as superusers always do.
--   Every other role sees no rows.
-- - Supabase (schema auth with auth.role()): also the spec's "Service role access" policy.
-- Creating the role needs CREATEROLE; without it (and no such role yet) its policy is skipped
-- with a notice, and the owner still has access.
DO $$
DECLARE
  v_table TEXT;
  v_has_role BOOLEAN;
  v_supabase BOOLEAN := to_regnamespace('auth') IS NOT NULL AND to_regprocedure('auth.role()') IS NOT NULL;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'comptoir_service') THEN
    BEGIN
      CREATE ROLE comptoir_service NOLOGIN;
    EXCEPTION
      -- roles are cluster-wide: another database's migration may have created it meanwhile
      WHEN duplicate_object OR unique_violation THEN NULL;
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'cannot create role comptoir_service (no CREATEROLE): its RLS policies are skipped';
    END;
  END IF;
  v_has_role := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'comptoir_service');

  FOREACH v_table IN ARRAY ARRAY[
    'app_chat_sessions', 'app_leads', 'app_security_incidents', 'app_admin_logs',
    'app_agent_objectives', 'app_agent_runs', 'app_prompt_store', 'app_company_facts'
  ] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', v_table);
    IF v_has_role THEN
      EXECUTE format('DROP POLICY IF EXISTS comptoir_service_access ON %I', v_table);
      EXECUTE format(
        'CREATE POLICY comptoir_service_access ON %I FOR ALL TO comptoir_service USING (true) WITH CHECK (true)',
        v_table);
    END IF;
    IF v_supabase THEN
      EXECUTE format('DROP POLICY IF EXISTS "Service role access" ON %I', v_table);
      EXECUTE format(
        'CREATE POLICY "Service role access" ON %I FOR ALL '
        || 'USING (auth.role() = ''service_role'') WITH CHECK (auth.role() = ''service_role'')',
        v_table);
    END IF;
  END LOOP;

  IF v_has_role THEN
    FOR v_table IN
      SELECT c.relname FROM pg_class c
      WHERE c.relnamespace = to_regnamespace(current_schema())
        AND c.relkind IN ('r', 'v', 'p') AND c.relname LIKE 'app\_%'
    LOOP
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO comptoir_service', v_table);
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO comptoir_service', current_schema());
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO comptoir_service',
                   current_schema());
    -- tables made by later migrations (run by this same role) are granted automatically
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES '
                   || 'TO comptoir_service', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES '
                   || 'TO comptoir_service', current_schema());
  END IF;
END;
$$;
