-- Migration 075 — The owner's super chat (app_admin_conversation, written by the agents service).
--
-- A conversation is the rows sharing `metadata->>'conversation_id'`; each row also keeps the id of
-- the `agents.admin_chat` request that wrote it (`metadata->>'request_id'`), so a repeated request
-- (a redelivery, a retry under the same id) finds its stored answer instead of answering twice.

CREATE INDEX IF NOT EXISTS idx_admin_conversation_conversation
  ON app_admin_conversation ((metadata->>'conversation_id'), created_at);

CREATE INDEX IF NOT EXISTS idx_admin_conversation_created_at
  ON app_admin_conversation (created_at DESC);

CREATE UNIQUE INDEX IF NOT EXISTS idx_admin_conversation_request
  ON app_admin_conversation ((metadata->>'request_id'), role)
  WHERE metadata ? 'request_id';
