-- Migration 062 — Billing: faster product search.
--
-- The lexical leg first asks for products holding every word of the query (each word: its French
-- or English stem), which is selective, and only falls back to any word when none holds them all.
-- The vector leg uses an HNSW index per embedding width rag may serve (384: MiniLM, 1024: bge-m3);
-- the column stays untyped so a model change needs no migration (other widths: exact scan).

CREATE OR REPLACE FUNCTION billing_product_tsquery_all(query TEXT) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    (SELECT string_agg('(' || stems || ')', ' & ')
       FROM (SELECT (SELECT string_agg(quote_literal(lexeme), ' | ')
                       FROM (SELECT unnest(tsvector_to_array(to_tsvector('french'::regconfig, word)))
                             UNION
                             SELECT unnest(tsvector_to_array(to_tsvector('english'::regconfig, word))))
                            AS l(lexeme)
                      WHERE length(lexeme) > 1) AS stems
               FROM regexp_split_to_table(billing_fold(query), '[^a-z0-9]+') AS w(word)
              WHERE length(word) > 1) AS groups
      WHERE stems IS NOT NULL)::tsquery,
    ''::tsquery)
$$;

CREATE INDEX IF NOT EXISTS idx_billing_products_hnsw_384 ON billing_products
  USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE active AND vector_dims(embedding) = 384;
CREATE INDEX IF NOT EXISTS idx_billing_products_hnsw_1024 ON billing_products
  USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE active AND vector_dims(embedding) = 1024;

-- Without a pending list: after a sync of thousands of products every search scanned the GIN
-- index's pending list linearly (~3 ms each) until autovacuum merged it.
ALTER INDEX idx_billing_products_fts SET (fastupdate = off);
