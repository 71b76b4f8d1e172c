-- Migration 007 — Rate limiting atomique
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_rate_limits (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  key TEXT UNIQUE NOT NULL,   -- ex: "chat:session_abc123"
  count INTEGER DEFAULT 0,
  window_start TIMESTAMPTZ DEFAULT NOW(),
  blocked_until TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_rate_limits_key ON app_rate_limits(key);

-- RPC atomique pour rate limiting (évite les race conditions)
CREATE OR REPLACE FUNCTION check_rate_limit(
  p_key TEXT,
  p_max_requests INTEGER,
  p_window_seconds INTEGER
)
RETURNS JSONB
LANGUAGE plpgsql AS $$
DECLARE
  v_now TIMESTAMPTZ := NOW();
  v_window_start TIMESTAMPTZ;
  v_count INTEGER;
  v_blocked_until TIMESTAMPTZ;
  v_record app_rate_limits%ROWTYPE;
BEGIN
  -- Upsert atomique
  INSERT INTO app_rate_limits (key, count, window_start)
  VALUES (p_key, 1, v_now)
  ON CONFLICT (key) DO UPDATE SET
    count = CASE
      WHEN app_rate_limits.window_start < v_now - (p_window_seconds * INTERVAL '1 second')
      THEN 1  -- Nouvelle fenêtre
      ELSE app_rate_limits.count + 1  -- Même fenêtre
    END,
    window_start = CASE
      WHEN app_rate_limits.window_start < v_now - (p_window_seconds * INTERVAL '1 second')
      THEN v_now
      ELSE app_rate_limits.window_start
    END
  RETURNING * INTO v_record;

  -- Vérifier si bloqué
  IF v_record.count > p_max_requests THEN
    RETURN jsonb_build_object(
      'allowed', false,
      'count', v_record.count,
      'retry_after', p_window_seconds
    );
  END IF;

  RETURN jsonb_build_object(
    'allowed', true,
    'count', v_record.count,
    'remaining', p_max_requests - v_record.count
  );
END;
$$;
