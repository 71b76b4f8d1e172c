-- Migration 067 — a word index of the chat messages, for the console's conversation search.
--
-- The console searched a conversation's text with `messages::TEXT ILIKE '%word%'`, reading every
-- stored history for a word that few conversations contain (321 ms over 10,000 conversations and
-- 100,000 messages). An index on the whole history would be rewritten at every turn (the history
-- is one JSONB value). This table holds one row per message instead, written by a trigger when
-- messages are appended: a turn indexes only its own messages, and a search is a GIN lookup.
--
-- The trigger counts appended messages by `message_count` (every write path of chat sets it: the
-- turn, the adviser's message, the reset), so it never reads the old history back. Rows follow
-- the session: a reset (empty history) or a deleted session (pruning) removes them.

CREATE TABLE IF NOT EXISTS app_chat_message_terms (
  session_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  terms TSVECTOR NOT NULL,
  PRIMARY KEY (session_id, position)
);

CREATE INDEX IF NOT EXISTS idx_chat_message_terms_terms ON app_chat_message_terms USING GIN (terms);

CREATE OR REPLACE FUNCTION chat_message_terms_index() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
  stored INTEGER := jsonb_array_length(COALESCE(NEW.messages, '[]'::JSONB));
  before_count INTEGER := 0;
  added INTEGER;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    before_count := COALESCE(OLD.message_count, 0);
  END IF;
  IF stored = 0 THEN
    IF TG_OP = 'UPDATE' THEN
      DELETE FROM app_chat_message_terms WHERE session_id = OLD.session_id;
    END IF;
    RETURN NEW;
  END IF;
  added := LEAST(COALESCE(NEW.message_count, stored) - before_count, stored);
  IF TG_OP = 'INSERT' THEN
    added := stored;
    before_count := COALESCE(NEW.message_count, stored) - stored;
  END IF;
  IF added > 0 THEN
    INSERT INTO app_chat_message_terms (session_id, position, terms)
    SELECT NEW.session_id, before_count + k,
           to_tsvector('simple', COALESCE(NEW.messages -> (stored - added + k - 1) ->> 'content', ''))
    FROM generate_series(1, added) AS k
    ON CONFLICT (session_id, position) DO UPDATE SET terms = EXCLUDED.terms;
  END IF;
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION chat_message_terms_forget() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM app_chat_message_terms WHERE session_id = OLD.session_id;
  RETURN OLD;
END;
$$;

DROP TRIGGER IF EXISTS trg_chat_message_terms_index ON app_chat_sessions;
CREATE TRIGGER trg_chat_message_terms_index
  BEFORE INSERT OR UPDATE OF messages ON app_chat_sessions
  FOR EACH ROW EXECUTE FUNCTION chat_message_terms_index();

DROP TRIGGER IF EXISTS trg_chat_message_terms_forget ON app_chat_sessions;
CREATE TRIGGER trg_chat_message_terms_forget
  AFTER DELETE ON app_chat_sessions
  FOR EACH ROW EXECUTE FUNCTION chat_message_terms_forget();

-- the histories stored before this migration
INSERT INTO app_chat_message_terms (session_id, position, terms)
SELECT s.session_id, (e.i)::INTEGER, to_tsvector('simple', COALESCE(e.m ->> 'content', ''))
FROM app_chat_sessions s, jsonb_array_elements(COALESCE(s.messages, '[]'::JSONB)) WITH ORDINALITY AS e(m, i)
ON CONFLICT (session_id, position) DO NOTHING;
