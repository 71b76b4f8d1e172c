"""Example workflows seeded at start-up, once each (`app_workflow_seeds` remembers them, so one the
owner deleted is not seeded again). The handoff e-mail is enabled when SMTP is configured and the
owner has not touched it (its `seed_key` is cleared by any change); the others wait, disabled,
until the owner turns them on. The weekly social draft is seeded by the social module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from libs.common.db import Conn
from libs.common.events.workflows import WorkflowDefinition
from libs.common.logging import get_logger
from services.workflows import repo
from services.workflows.deps import Workflows

log = get_logger(__name__)
CONVERSATION_LINK = "{{ shop.public_url }}/admin/conversations/{{ event.session_id }}"


@dataclass(frozen=True)
class Seed:
    key: str
    definition: dict[str, Any]
    enabled_with_smtp: bool = False


HANDOFF = Seed("handoff_owner_email", {
    "name": "handoff-owner-email",
    "description": "Quand un visiteur demande un conseiller, envoyer un e-mail au propriétaire avec le lien "
                   "de la conversation (fait contact_email).",
    "trigger_event": "chat.handoff.requested",
    "settings": {"concurrency": 8, "locale": "fr"},
    "steps": [{"type": "send_email", "id": "owner_email", "retry": {"max": 5, "base_delay_ms": 2000},
               "timeout_ms": 30000, "config": {
                   "to": "{{ facts.contact_email }}", "locale": "{{ workflow.locale }}",
                   "subject": "Un visiteur demande un conseiller",
                   "body": "Un visiteur souhaite parler à un conseiller.\n\n"
                           "Raison : {{ event.reason }}\nSon message : {{ event.message }}\n"
                           "{% if event.summary %}Résumé : {{ event.summary }}\n{% endif %}"
                           "{% for k, v in event.contact.items() %}{{ k }} : {{ v }}\n{% endfor %}\n"
                           f"Ouvrir la conversation : {CONVERSATION_LINK}\n",
                   "translations": {"en": {
                       "subject": "A visitor is asking for an adviser",
                       "body": "A visitor would like to talk to an adviser.\n\nReason: {{ event.reason }}\n"
                               "Their message: {{ event.message }}\n"
                               "{% if event.summary %}Summary: {{ event.summary }}\n{% endif %}"
                               f"Open the conversation: {CONVERSATION_LINK}\n"}}}}],
}, enabled_with_smtp=True)

QUOTE_REMINDER = Seed("quote_unpaid_reminder", {
    "name": "quote-unpaid-reminder",
    "description": "24 h après un devis non payé, relancer le client par e-mail.",
    "trigger_event": "quote.created",
    "enabled": False,
    "steps": [
        {"type": "condition", "config": {"all": [{"path": "event.quote.email", "op": "exists"}]}},
        {"type": "delay", "config": {"seconds": 86400}},
        {"type": "get_quote", "id": "current", "config": {"quote_id": "{{ event.quote.id }}"}},
        {"type": "condition", "config": {"all": [{"path": "steps.current.quote.status", "op": "eq",
                                                  "value": "pending"}]}},
        {"type": "send_email", "config": {
            "to": "{{ event.quote.email }}",
            "subject": "Votre devis {{ facts.brand_name }} vous attend",
            "body": "Bonjour,\n\nVotre devis de {{ steps.current.quote.totals.gross|money("
                    "steps.current.quote.currency) }} est toujours disponible"
                    "{% if steps.current.quote.checkout_url %} : {{ steps.current.quote.checkout_url }}{% endif %}.\n"
                    "Il expire le {{ steps.current.quote.expires_at|date }}.\n\n{{ facts.brand_name }}\n",
            "translations": {"en": {
                "subject": "Your {{ facts.brand_name }} quote is waiting",
                "body": "Hello,\n\nYour quote is still available{% if steps.current.quote.checkout_url %}: "
                        "{{ steps.current.quote.checkout_url }}{% endif %}.\nIt expires on "
                        "{{ steps.current.quote.expires_at|date('en') }}.\n\n{{ facts.brand_name }}\n"}}}},
    ],
})

PAYMENT_THANKS = Seed("payment_thank_you", {
    "name": "payment-thank-you",
    "description": "Paiement reçu : envoyer un e-mail de remerciement au client.",
    "trigger_event": "payment.completed",
    "enabled": False,
    "steps": [
        {"type": "condition", "config": {"all": [{"path": "event.email", "op": "exists"}]}},
        # the invoice (Wix) or receipt (Stripe) link billing kept with the paid quote
        {"type": "get_quote", "id": "paid", "config": {"quote_id": "{{ event.quote_id }}"}},
        {"type": "send_email", "config": {
            "to": "{{ event.email }}",
            "subject": "Merci pour votre commande",
            "body": "Bonjour,\n\nNous avons bien reçu votre paiement de {{ event.amount|money(event.currency) }}. "
                    "Merci pour votre confiance !\n"
                    "{% if steps.paid.quote.invoice_url %}\nVotre facture : {{ steps.paid.quote.invoice_url }}\n"
                    "{% endif %}\n{{ facts.brand_name }}\n",
            "translations": {"en": {
                "subject": "Thank you for your order",
                "body": "Hello,\n\nWe have received your payment of {{ event.amount|money(event.currency, 'en') }}. "
                        "Thank you!\n"
                        "{% if steps.paid.quote.invoice_url %}\nYour invoice: {{ steps.paid.quote.invoice_url }}\n"
                        "{% endif %}\n{{ facts.brand_name }}\n"}}}},
    ],
})

SEEDS: list[Seed] = [HANDOFF, QUOTE_REMINDER, PAYMENT_THANKS]

CLAIM_SEED = "INSERT INTO app_workflow_seeds (seed_key) VALUES ($1) ON CONFLICT DO NOTHING RETURNING seed_key"
AUTO_ENABLE = "UPDATE app_workflows SET enabled = $2, cron_since = now() WHERE seed_key = $1 AND enabled <> $2"


async def seed(conn: Conn, wf: Workflows, seeds: list[Seed] | None = None) -> list[str]:
    """Insert the seeds never seeded before; keep an untouched handoff seed in step with SMTP."""
    created: list[str] = []
    smtp = wf.env.mail.configured
    for item in seeds or SEEDS:
        defn = WorkflowDefinition.model_validate(item.definition)
        enabled = smtp if item.enabled_with_smtp else defn.enabled
        async with conn.transaction():
            if await conn.fetchval(CLAIM_SEED, item.key) is not None:
                row = await repo.insert_workflow(conn, defn.model_copy(update={"enabled": enabled}),
                                                 wf.env.clock.now(), seed_key=item.key)
                if row is not None:
                    created.append(defn.name)
            elif item.enabled_with_smtp:
                await conn.execute(AUTO_ENABLE, item.key, enabled)
    if created:
        log.info("workflows_seeded", workflows=created, smtp_configured=smtp)
    return created
