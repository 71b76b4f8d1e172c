-- Migration 036 — check_rate_limit commits asynchronously; counter updates stay heap-only.
--
-- A rate-limit check is a tiny write whose cost is almost all the WAL flush at commit, and on a hot
-- key (one session or IP hammering) the row lock is held until that flush ends, so every caller of
-- the key waits for every earlier caller's fsync. Counters are not worth that: losing the last few
-- hundred milliseconds of counts in a server crash re-admits at most that many requests once, while
-- the flush caps a hot key at a couple of thousand checks per second. So the function now sets
-- synchronous_commit = off for its own transaction (PostgreSQL's asynchronous commit: no corruption,
-- no torn rows, only the most recent commits may be lost on a crash, at most about
-- 3 × wal_writer_delay). Admission stays exact: the row lock and the CASEs are unchanged, and the
-- lock is released at commit as before.
--
-- Only when the transaction has not written anything yet (txid_current_if_assigned() IS NULL):
-- a caller that wrote before calling keeps a durable commit. A transaction that calls
-- check_rate_limit first and writes afterwards commits asynchronously — call it as its own statement
-- (the security service and Supabase RPC calls do).
--
-- Also a fillfactor below 100 leaves room on each page so counter updates stay heap-only (HOT)
-- updates. (007's idx_rate_limits_key duplicates the UNIQUE constraint's index on the same column;
-- it is part of the specification's index list, so it stays.)

ALTER TABLE app_rate_limits SET (fillfactor = 80);

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
  -- Asynchronous commit, only when nothing else in this transaction has written yet (the usual case:
  -- the call is its own statement). A transaction that wrote before calling keeps its durability.
  IF txid_current_if_assigned() IS NULL THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
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
