-- Migration 026 — Case-insensitive unique lead e-mail (fixes 025 `upsert_lead_purchase`).
--
-- 025 upserts with ON CONFLICT (email) but app_leads.email has no unique constraint, so every call
-- failed. E-mails are compared case-insensitively: they are stored lower-cased and trimmed (a
-- trigger enforces it for every writer), duplicates that differ only by case are merged, and a
-- unique index on lower(email) backs the upsert. It carries the spec's recommended name
-- idx_leads_email_lower, so 030's CREATE INDEX CONCURRENTLY IF NOT EXISTS finds it already there.

CREATE OR REPLACE FUNCTION app_normalize_email(p_email TEXT)
RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT NULLIF(lower(btrim(p_email)), '')
$$;

-- Merge leads whose e-mails differ only by case or surrounding blanks into the oldest row:
-- purchase counters are summed, the latest purchase wins, known contact details are kept.
WITH merge AS (
  SELECT
    (array_agg(l.id ORDER BY l.created_at NULLS LAST, l.id))[1] AS keep_id,
    array_agg(l.id) AS all_ids,
    sum(COALESCE(l.purchase_count, 0))::INTEGER AS purchase_count,
    sum(COALESCE(l.total_spend, 0)) AS total_spend,
    max(l.last_purchase_at) AS last_purchase_at,
    (array_agg(l.last_purchase_amount ORDER BY l.last_purchase_at DESC NULLS LAST))[1]
      AS last_purchase_amount,
    max(l.score) AS score,
    (array_agg(l.name ORDER BY l.updated_at DESC NULLS LAST) FILTER (WHERE l.name IS NOT NULL))[1] AS name,
    (array_agg(l.phone ORDER BY l.updated_at DESC NULLS LAST) FILTER (WHERE l.phone IS NOT NULL))[1]
      AS phone,
    (array_agg(l.session_id ORDER BY l.created_at NULLS LAST) FILTER (WHERE l.session_id IS NOT NULL))[1]
      AS session_id
  FROM app_leads l
  WHERE app_normalize_email(l.email) IS NOT NULL
  GROUP BY app_normalize_email(l.email)
  HAVING count(*) > 1
),
kept AS (
  UPDATE app_leads l SET
    purchase_count = m.purchase_count,
    total_spend = m.total_spend,
    last_purchase_at = m.last_purchase_at,
    last_purchase_amount = m.last_purchase_amount,
    score = m.score,
    name = COALESCE(l.name, m.name),
    phone = COALESCE(l.phone, m.phone),
    session_id = COALESCE(l.session_id, m.session_id),
    metadata = COALESCE(l.metadata, '{}'::JSONB) || jsonb_build_object('merged_lead_ids', to_jsonb(m.all_ids)),
    updated_at = NOW()
  FROM merge m
  WHERE l.id = m.keep_id
)
DELETE FROM app_leads l
USING merge m
WHERE l.id = ANY (m.all_ids) AND l.id <> m.keep_id;

UPDATE app_leads SET email = app_normalize_email(email)
WHERE email IS DISTINCT FROM app_normalize_email(email);

CREATE OR REPLACE FUNCTION app_leads_normalize_email()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.email := app_normalize_email(NEW.email);
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS trg_leads_normalize_email ON app_leads;
-- BEFORE ROW triggers run before ON CONFLICT arbitration, so any writer's upsert sees the stored form.
CREATE TRIGGER trg_leads_normalize_email
  BEFORE INSERT OR UPDATE OF email ON app_leads
  FOR EACH ROW EXECUTE FUNCTION app_leads_normalize_email();

-- The spec recommends a plain idx_leads_email_lower; a database where someone already created it
-- by hand would make the IF NOT EXISTS below skip the unique index the upsert needs.
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indexrelid = to_regclass('idx_leads_email_lower') AND NOT (i.indisunique AND i.indisvalid)
  ) THEN
    DROP INDEX idx_leads_email_lower;
  END IF;
END;
$$;

CREATE UNIQUE INDEX IF NOT EXISTS idx_leads_email_lower
  ON app_leads (lower(email)) WHERE email IS NOT NULL;

CREATE OR REPLACE FUNCTION upsert_lead_purchase(
  p_email TEXT,
  p_amount NUMERIC,
  p_session_id TEXT DEFAULT NULL
)
RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
  v_email TEXT := app_normalize_email(p_email);
BEGIN
  IF v_email IS NULL THEN
    RAISE EXCEPTION 'upsert_lead_purchase: e-mail is required' USING ERRCODE = '22023';
  END IF;
  IF p_amount IS NULL OR p_amount < 0 THEN
    RAISE EXCEPTION 'upsert_lead_purchase: amount must be a number >= 0, got %', p_amount
      USING ERRCODE = '22023';
  END IF;
  INSERT INTO app_leads AS l
    (email, session_id, last_purchase_at, last_purchase_amount, purchase_count, total_spend)
  VALUES (v_email, p_session_id, NOW(), p_amount, 1, p_amount)
  ON CONFLICT (lower(email)) WHERE email IS NOT NULL DO UPDATE SET
    last_purchase_at = NOW(),
    last_purchase_amount = p_amount,
    purchase_count = COALESCE(l.purchase_count, 0) + 1,
    total_spend = COALESCE(l.total_spend, 0) + p_amount,
    session_id = COALESCE(l.session_id, EXCLUDED.session_id),
    updated_at = NOW();
END;
$$;
