-- Migration 024 — Pruning sessions (nettoyage automatique)
-- Transcribed as written from the specification (spec/database-schema.md).

-- RPC de nettoyage des sessions expirées
CREATE OR REPLACE FUNCTION prune_expired_sessions(p_ttl_days INTEGER DEFAULT 90)
RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  v_deleted INTEGER;
BEGIN
  DELETE FROM app_chat_sessions
  WHERE updated_at < NOW() - (p_ttl_days * INTERVAL '1 day');
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  RETURN v_deleted;
END;
$$;

-- RPC de nettoyage des events agent (rétention configurable)
CREATE OR REPLACE FUNCTION prune_agent_events(p_retention_days INTEGER DEFAULT 30)
RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  v_deleted INTEGER;
BEGIN
  DELETE FROM app_agent_events
  WHERE created_at < NOW() - (p_retention_days * INTERVAL '1 day');
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  RETURN v_deleted;
END;
$$;
