-- Migration 006 — Incidents de sécurité
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_security_incidents (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  type TEXT NOT NULL,         -- rate_limit | injection | disclosure | role_override | anomaly
  severity TEXT DEFAULT 'medium', -- low | medium | high | critical
  session_id TEXT,
  ip_address TEXT,
  details JSONB DEFAULT '{}',
  resolved BOOLEAN DEFAULT FALSE,
  resolved_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_security_incidents_type ON app_security_incidents(type);
CREATE INDEX idx_security_incidents_severity ON app_security_incidents(severity);
CREATE INDEX idx_security_incidents_created_at ON app_security_incidents(created_at DESC);
