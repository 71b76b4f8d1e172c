"""Leads: scored from intent, contact completeness and engagement; written when contact details appear.

Score (0–100) = intent (strongest buying signal, +5 per other intent, at most 40)
              + contact completeness (e-mail 20, phone 15, name 10)
              + engagement (2 per visitor message, at most 20)
              − 10 for an open complaint.
One lead per e-mail (case-insensitive unique index of migration 026); a lead known only by phone is
remembered in the session's metadata (`lead_id`); once an e-mail appears the session points to the
e-mail's lead (an earlier phone-only row is left as it is, to avoid merging two people wrongly).
"""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.db import Conn
from services.chat import repo

INTENT_WEIGHTS = {
    "purchase": 35,
    "quote": 35,
    "pricing": 20,
    "availability": 15,
    "shipping": 10,
    "handoff": 10,
    "returns": 5,
}
CONTACT_WEIGHTS = {"email": 20, "phone": 15, "name": 10}


@dataclass(frozen=True)
class Contact:
    email: str | None = None
    name: str | None = None
    phone: str | None = None

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.phone)


@dataclass(frozen=True)
class LeadResult:
    lead_id: str
    created: bool
    changed: bool
    score: int


def score(intents: set[str], contact: Contact, visitor_messages: int, complaint: bool = False) -> int:
    weights = sorted((INTENT_WEIGHTS.get(i, 0) for i in intents), reverse=True)
    intent = min(40, (weights[0] if weights else 0) + 5 * len([w for w in weights[1:] if w]))
    completeness = sum(w for field, w in CONTACT_WEIGHTS.items() if getattr(contact, field))
    engagement = min(20, 2 * visitor_messages)
    return max(0, min(100, intent + completeness + engagement - (10 if complaint else 0)))


async def record(
    conn: Conn,
    session_id: str,
    contact: Contact,
    lead_score: int,
    known_lead_id: str | None,
    intents: list[str],
    new_contact: bool,
) -> LeadResult | None:
    """Create or update the session's lead. None when there is no lead and no way to reach the visitor."""
    metadata = {"intents": intents, "last_session_id": session_id}
    if contact.email:
        lead_id, created = await repo.upsert_lead_by_email(
            conn, session_id, contact.email, contact.name, contact.phone, lead_score, metadata
        )
        return LeadResult(lead_id, created, new_contact or created, lead_score)
    if known_lead_id:
        updated = await repo.update_lead(conn, known_lead_id, contact.name, contact.phone, lead_score, metadata)
        if updated is not None:
            return LeadResult(updated, False, new_contact, lead_score)
    if contact.phone:
        lead_id = await repo.insert_lead(conn, session_id, contact.name, contact.phone, lead_score, metadata)
        return LeadResult(lead_id, True, True, lead_score)
    return None
