-- Migration 066 — Owner console: users, login sessions, prompt history (written by the gateway).
--
-- Users are the shop's owner(s) and advisers (humans who answer visitors). Passwords are argon2id
-- hashes (argon2-cffi); e-mails are unique without regard to case. A login session row holds the
-- SHA-256 of the cookie's random token (the cookie alone never lets anyone read the table) and the
-- CSRF token its forms carry; logout deletes the row. Prompt versions keep every content a prompt
-- had, so the console can show a diff and roll back (facts already have app_company_facts_versions).

CREATE TABLE IF NOT EXISTS app_console_users (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'adviser')),
  password_hash TEXT NOT NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  last_login_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_console_users_email ON app_console_users (lower(email));

CREATE TABLE IF NOT EXISTS app_console_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES app_console_users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  expires_at TIMESTAMPTZ NOT NULL,
  ip_address TEXT,
  user_agent TEXT
);
CREATE INDEX IF NOT EXISTS idx_console_sessions_user ON app_console_sessions (user_id);
CREATE INDEX IF NOT EXISTS idx_console_sessions_expires ON app_console_sessions (expires_at);

CREATE TABLE IF NOT EXISTS app_prompt_store_versions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  prompt_name TEXT NOT NULL,
  old_content TEXT,
  new_content TEXT NOT NULL,
  version INTEGER NOT NULL,
  changed_by TEXT NOT NULL DEFAULT 'admin',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_prompt_versions_name ON app_prompt_store_versions (prompt_name, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_company_facts_versions_key ON app_company_facts_versions (fact_key, created_at DESC);

-- the console lists conversations newest activity first (001's index) and filters those waiting for a human
CREATE INDEX IF NOT EXISTS idx_chat_sessions_state ON app_chat_sessions ((metadata->>'conversation_state'))
  WHERE metadata->>'conversation_state' IN ('waiting_human', 'human');
