-- Migration 012 — Company facts
-- Transcribed as written from the specification (spec/database-schema.md).

CREATE TABLE app_company_facts (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  key TEXT UNIQUE NOT NULL,   -- ex: "brand_name", "return_policy", "shipping_delay"
  value TEXT NOT NULL,
  category TEXT DEFAULT 'general', -- general | product | policy | contact | shipping
  version INTEGER DEFAULT 1,
  active BOOLEAN DEFAULT TRUE,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE TABLE app_company_facts_versions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  fact_key TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT NOT NULL,
  version INTEGER NOT NULL,
  changed_by TEXT DEFAULT 'admin',
  created_at TIMESTAMPTZ DEFAULT NOW()
);

-- Index
CREATE INDEX idx_company_facts_key ON app_company_facts(key);
CREATE INDEX idx_company_facts_category ON app_company_facts(category);

-- Données initiales (à personnaliser)
INSERT INTO app_company_facts (key, value, category) VALUES
  ('brand_name', '[BRAND_NAME]', 'general'),
  ('app_name', '[APP_NAME]', 'general'),
  ('contact_email', '[ADMIN_EMAIL]', 'contact'),
  ('product_domain', '[PRODUCT_DOMAIN]', 'product'),
  ('currency', 'EUR', 'general'),
  ('language_default', 'fr', 'general');
