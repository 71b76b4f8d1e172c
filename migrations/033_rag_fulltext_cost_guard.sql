-- Migration 033 — RAG: keep full-text ranking cheap on large knowledge bases.
--
-- The query side ORs the question's lexemes, and ranking costs one ts_rank_cd per matching row: a
-- lexeme present in tens of thousands of chunks makes a search take hundreds of milliseconds while
-- telling little about relevance (the vector side still sees it). This variant drops the lexemes that
-- the planner's statistics (pg_stats.most_common_elems of the `fts` column) say match more than
-- `max_rows` rows. Small tables, or tables not analysed yet, keep every lexeme.

CREATE OR REPLACE FUNCTION app_knowledge_common_lexemes(tbl TEXT, max_rows REAL) RETURNS SETOF TEXT
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT e.lexeme
  FROM pg_stats s
  JOIN pg_class c ON c.relname = s.tablename
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
  CROSS JOIN LATERAL unnest(s.most_common_elems::TEXT::TEXT[]) WITH ORDINALITY AS e(lexeme, i)
  WHERE s.schemaname = current_schema() AND s.tablename = tbl AND s.attname = 'fts'
    AND s.most_common_elem_freqs[e.i] * greatest(c.reltuples, 0) > max_rows
$$;

CREATE OR REPLACE FUNCTION app_knowledge_query_lexemes(query TEXT, lang TEXT) RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lexeme FROM (
    SELECT unnest(tsvector_to_array(to_tsvector('french'::regconfig, app_fold_accents(query))))
     WHERE lang IS DISTINCT FROM 'en'
    UNION
    SELECT unnest(tsvector_to_array(to_tsvector('english'::regconfig, app_fold_accents(query))))
     WHERE lang IS NULL OR lang = 'en'
  ) AS lexemes(lexeme)
  WHERE length(lexeme) > 1
$$;

CREATE OR REPLACE FUNCTION app_knowledge_tsquery(query TEXT, lang TEXT, tbl TEXT, max_rows REAL DEFAULT 5000)
RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    (SELECT string_agg(quote_literal(l), ' | ')
       FROM app_knowledge_query_lexemes(query, lang) AS l
      WHERE l NOT IN (SELECT app_knowledge_common_lexemes(tbl, max_rows)))::tsquery,
    ''::tsquery)
$$;
