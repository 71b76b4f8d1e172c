-- Migration 035 — Security: a slot for live rate-limit overrides, and incident look-ups.
-- The security service's settings (SECURITY_RATE_LIMITS) give the default limits; an operator lays
-- overrides over them in app_admin_config `rate_limits`, re-read every few seconds, e.g.
--   {"session": {"max": 30, "window_seconds": 60, "block_seconds": 300},
--    "ip": {"max": 120, "window_seconds": 60, "block_seconds": 600},
--    "routes": {"chat": {"max": 1200, "window_seconds": 60}},
--    "escalation": {"incidents": 3, "window_seconds": 600, "block_seconds": 900}}
-- Escalation counts a session's or an IP's recent incidents: index those look-ups.

INSERT INTO app_admin_config (key, value, description) VALUES (
  'rate_limits', '{}',
  'Overrides of the security service rate limits: session / ip / routes / escalation (see docs/security.md)'
) ON CONFLICT (key) DO NOTHING;

CREATE INDEX IF NOT EXISTS idx_security_incidents_session_created
  ON app_security_incidents (session_id, created_at DESC) WHERE session_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_security_incidents_ip_created
  ON app_security_incidents (ip_address, created_at DESC) WHERE ip_address IS NOT NULL;
