-- Migration 027 — check_rate_limit fixed: blocks, tells the time left, rejects bad arguments.
--
-- 007's version never set blocked_until and returned the whole window as retry_after. This one:
-- - is one INSERT … ON CONFLICT DO UPDATE: the row lock serialises callers of a key, and every
--   CASE reads the locked, latest row, so exactly p_max_requests calls are admitted per window
--   however many run at once;
-- - denies without counting while blocked_until is in the future;
-- - uses a fixed window; a call over the limit is denied and, when p_block_seconds > 0, sets
--   blocked_until = now + p_block_seconds. A block never shortens the window: a call after the
--   block but inside the window is over the limit again (and renews the block); once both are
--   over, a fresh window starts. Pick a block longer than the window for a real penalty;
-- - answers retry_after = whole seconds left until a call can be admitted again (ceil, >= 1 when
--   denied, 0 when allowed) and reset_at = that moment (the window end, or the block end if later).
-- The 3-argument function is dropped so that 3-argument calls resolve to this one (block = 0).

DROP FUNCTION IF EXISTS check_rate_limit(TEXT, INTEGER, INTEGER);

CREATE OR REPLACE FUNCTION check_rate_limit(
  p_key TEXT,
  p_max_requests INTEGER,
  p_window_seconds INTEGER,
  p_block_seconds INTEGER DEFAULT 0
)
RETURNS JSONB
LANGUAGE plpgsql AS $$
DECLARE
  -- clock_timestamp, not now(): a caller inside a long transaction must not see a stale clock.
  v_now TIMESTAMPTZ := clock_timestamp();
  v_window INTERVAL;
  v_block INTERVAL;
  v_row app_rate_limits%ROWTYPE;
  v_allowed BOOLEAN;
  v_reset_at TIMESTAMPTZ;
BEGIN
  IF p_key IS NULL OR p_key = '' THEN
    RAISE EXCEPTION 'check_rate_limit: key is required' USING ERRCODE = '22023';
  END IF;
  IF p_max_requests IS NULL OR p_max_requests < 0 THEN
    RAISE EXCEPTION 'check_rate_limit: max_requests must be >= 0, got %', p_max_requests
      USING ERRCODE = '22023';
  END IF;
  IF p_window_seconds IS NULL OR p_window_seconds <= 0 THEN
    RAISE EXCEPTION 'check_rate_limit: window_seconds must be > 0, got %', p_window_seconds
      USING ERRCODE = '22023';
  END IF;
  IF p_block_seconds IS NULL OR p_block_seconds < 0 THEN
    RAISE EXCEPTION 'check_rate_limit: block_seconds must be >= 0, got %', p_block_seconds
      USING ERRCODE = '22023';
  END IF;
  v_window := make_interval(secs => p_window_seconds);
  v_block := make_interval(secs => p_block_seconds);

  INSERT INTO app_rate_limits AS r (key, count, window_start, blocked_until)
  VALUES (p_key, 1, v_now, CASE WHEN 1 > p_max_requests AND p_block_seconds > 0 THEN v_now + v_block END)
  ON CONFLICT (key) DO UPDATE SET
    count = CASE
      WHEN r.blocked_until > v_now THEN r.count
      WHEN r.window_start IS NULL OR r.window_start + v_window <= v_now THEN 1
      ELSE COALESCE(r.count, 0) + 1
    END,
    window_start = CASE
      WHEN r.blocked_until > v_now THEN r.window_start
      WHEN r.window_start IS NULL OR r.window_start + v_window <= v_now THEN v_now
      ELSE r.window_start
    END,
    blocked_until = CASE
      WHEN r.blocked_until > v_now THEN r.blocked_until
      WHEN p_block_seconds > 0
        AND CASE
              WHEN r.window_start IS NULL OR r.window_start + v_window <= v_now THEN 1
              ELSE COALESCE(r.count, 0) + 1
            END > p_max_requests
        THEN v_now + v_block
      ELSE NULL
    END
  RETURNING r.* INTO v_row;

  v_allowed := v_row.count <= p_max_requests AND NOT COALESCE(v_row.blocked_until > v_now, FALSE);
  v_reset_at := GREATEST(v_row.window_start + v_window, v_row.blocked_until);

  RETURN jsonb_build_object(
    'allowed', v_allowed,
    'count', v_row.count,
    'limit', p_max_requests,
    'remaining', CASE WHEN v_allowed THEN GREATEST(p_max_requests - v_row.count, 0) ELSE 0 END,
    'retry_after', CASE
      WHEN v_allowed THEN 0
      -- measured after the upsert: v_now was read before waiting for the row lock, possibly
      -- before the window_start another caller wrote, and would overstate the time left
      ELSE GREATEST(1, CEIL(EXTRACT(EPOCH FROM v_reset_at - clock_timestamp())))::INTEGER
    END,
    'reset_at', v_reset_at,
    'blocked_until', CASE WHEN v_row.blocked_until > v_now THEN v_row.blocked_until END
  );
END;
$$;

-- Rows of keys idle for longer than p_older_than_seconds and not blocked any more.
CREATE OR REPLACE FUNCTION prune_rate_limits(p_older_than_seconds INTEGER DEFAULT 86400)
RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  v_deleted INTEGER;
BEGIN
  IF p_older_than_seconds IS NULL OR p_older_than_seconds < 0 THEN
    RAISE EXCEPTION 'prune_rate_limits: older_than_seconds must be >= 0, got %', p_older_than_seconds
      USING ERRCODE = '22023';
  END IF;
  DELETE FROM app_rate_limits
  WHERE (window_start IS NULL OR window_start < NOW() - make_interval(secs => p_older_than_seconds))
    AND (blocked_until IS NULL OR blocked_until <= NOW());
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  RETURN v_deleted;
END;
$$;
