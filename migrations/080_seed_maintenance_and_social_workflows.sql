-- Migration 080 — Built-in workflows: daily maintenance of each service, and the weekly social post draft.
--
-- `maintenance-<service>` (enabled): one `maintenance` step asking the service to prune its own expired
-- rows (services/workflows/maintenance.py, libs/common/maintenance.py); staggered between 03:00 and
-- 03:30 in the shop's time zone. The owner may change the cron, the retention (`retention_days`) or
-- turn one off like any workflow. `weekly-social-post` (disabled): each Monday at 09:00, a draft
-- written by the LLM (or the template when none is configured) queued for Facebook, waiting for the
-- owner's approval while `socialApprovalRequired` is on. Seeded once (`seed_key`): a workflow the
-- owner deleted is not re-created.

INSERT INTO app_workflows (name, description, trigger_cron, steps, settings, enabled, seed_key, cron_since)
SELECT v.name, v.description, v.cron, v.steps::jsonb, '{"concurrency": 1}'::jsonb, v.enabled, v.seed_key, NOW()
FROM (VALUES
  ('maintenance-chat', 'Supprime les sessions de chat expirées (chat_config.sessionTtlDays), l''inbox et le journal des requêtes du service chat.',
   '0 3 * * *', '[{"type": "maintenance", "id": "prune", "config": {"service": "chat"}, "retry": {"max": 2, "base_delay_ms": 60000}, "timeout_ms": 300000}]', TRUE, 'maintenance_chat'),
  ('maintenance-agents', 'Supprime les événements d''agents plus anciens que event_retention_days (app_agent_config), l''inbox et le journal des requêtes.',
   '5 3 * * *', '[{"type": "maintenance", "id": "prune", "config": {"service": "agents"}, "retry": {"max": 2, "base_delay_ms": 60000}, "timeout_ms": 300000}]', TRUE, 'maintenance_agents'),
  ('maintenance-billing', 'Supprime le cache produits expiré (app_product_cache), l''inbox et le journal des requêtes du service billing.',
   '10 3 * * *', '[{"type": "maintenance", "id": "prune", "config": {"service": "billing"}, "retry": {"max": 2, "base_delay_ms": 60000}, "timeout_ms": 300000}]', TRUE, 'maintenance_billing'),
  ('maintenance-security', 'Supprime les compteurs de limite de débit périmés (app_rate_limits), l''inbox et le journal des requêtes du service security.',
   '15 3 * * *', '[{"type": "maintenance", "id": "prune", "config": {"service": "security"}, "retry": {"max": 2, "base_delay_ms": 60000}, "timeout_ms": 300000}]', TRUE, 'maintenance_security'),
  ('maintenance-rag', 'Supprime l''inbox et le journal des requêtes anciens du service rag.',
   '20 3 * * *', '[{"type": "maintenance", "id": "prune", "config": {"service": "rag"}, "retry": {"max": 2, "base_delay_ms": 60000}, "timeout_ms": 300000}]', TRUE, 'maintenance_rag'),
  ('maintenance-workflows', 'Supprime l''inbox et le journal des requêtes anciens du service workflows.',
   '25 3 * * *', '[{"type": "maintenance", "id": "prune", "config": {"service": "workflows"}, "retry": {"max": 2, "base_delay_ms": 60000}, "timeout_ms": 300000}]', TRUE, 'maintenance_workflows'),
  ('maintenance-gateway', 'Supprime les clés Idempotency-Key expirées de la passerelle (app_idempotency_keys).',
   '30 3 * * *', '[{"type": "maintenance", "id": "prune", "config": {"service": "gateway"}, "retry": {"max": 2, "base_delay_ms": 60000}, "timeout_ms": 300000}]', TRUE, 'maintenance_gateway'),
  ('weekly-social-post', 'Chaque lundi à 9 h, prépare un post avec les nouveautés et le met en attente de validation.',
   '0 9 * * 1', '[{"type": "generate_text", "id": "draft", "config": {"prompt": "Rédige un court post Facebook (3 phrases au plus, en français, ton chaleureux) qui présente les nouveautés de la semaine de {{ facts.brand_name | default(''la boutique'') }}.", "template": "Cette semaine, découvrez nos nouveautés en boutique et sur notre site !"}, "retry": {"max": 2, "base_delay_ms": 30000}, "timeout_ms": 60000}, {"type": "publish_facebook", "id": "post", "config": {"content": "{{ steps.draft.text }}"}, "retry": {"max": 3, "base_delay_ms": 5000}, "timeout_ms": 30000}]', FALSE, 'weekly_social_post')
) AS v(name, description, cron, steps, enabled, seed_key)
ON CONFLICT DO NOTHING;

-- how long agents' events are kept (read by services/agents/maintenance.py at each run)
INSERT INTO app_agent_config (key, value, description) VALUES
  ('event_retention_days', '30', 'days app_agent_events rows are kept (daily maintenance, prune_agent_events)')
ON CONFLICT (key) DO NOTHING;
