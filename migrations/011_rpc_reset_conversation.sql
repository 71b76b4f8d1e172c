-- Migration 011 — RPC reset conversation
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE OR REPLACE FUNCTION reset_chat_session(p_session_id TEXT)
RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE app_chat_sessions
  SET messages = '[]'::JSONB, summary = NULL, message_count = 0
  WHERE session_id = p_session_id;

  DELETE FROM app_entity_memory
  WHERE session_id = p_session_id;
END;
$$;
