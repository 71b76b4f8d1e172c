"""How the super chat reads a command or a question without a model (services/agents/superchat_commands.py),
and the French of its answers."""

from __future__ import annotations

import pytest

from services.agents.superchat_commands import answer, choose_agent, money, parse, period_days

KNOWN = ["content_agent", "sales_agent", "security_agent"]


@pytest.mark.parametrize(("text", "days"), [
    ("7j", 7), ("24h", 1), ("48 heures", 2), ("30 jours", 30), ("2 semaines", 14), ("3 mois", 90),
    ("cette semaine", 7), ("aujourd'hui", 1), ("ce mois-ci", 30), ("999j", 365), ("n'importe quoi", 7),
])
def test_periods(text: str, days: int) -> None:
    assert period_days(text) == days


@pytest.mark.parametrize(("message", "kind", "fields"), [
    ("/aide", "help", {}),
    ("/leads", "leads", {"days": 7}),
    ("/leads 30j", "leads", {"days": 30}),
    ("/devis", "quotes", {"status": "pending"}),
    ("/devis payés", "quotes", {"status": "paid"}),
    ("/devis tous", "quotes", {"status": None}),
    ("/incidents", "incidents", {"severity": None, "resolved": False}),
    ("/incidents critiques résolus", "incidents", {"severity": "critical", "resolved": True}),
    ("/incidents tous", "incidents", {"resolved": None}),
    ("/runs en pause", "runs", {"status": "paused"}),
    ("/approbations", "approvals", {}),
    ("/objectif relance Marie", "objective", {"text": "relance Marie"}),
    ("/n'existe pas", "unknown", {}),
    ("Combien de leads cette semaine ?", "leads", {"days": 7}),
    ("combien de prospects aujourd'hui", "leads", {"days": 1}),
    ("Quels devis sont en attente ?", "quotes", {"status": "pending"}),
    ("quels devis ont été payés ce mois ?", "quotes", {"status": "paid"}),
    ("Montre les incidents critiques", "incidents", {"severity": "critical", "resolved": False}),
    ("Lance un objectif : prépare trois posts", "objective", {"text": "prépare trois posts"}),
    ("qu'est-ce qui attend mon approbation ?", "approvals", {}),
    ("Bonjour", "unknown", {}),
])
def test_parse(message: str, kind: str, fields: dict[str, object]) -> None:
    intent = parse(message)
    assert intent.kind == kind
    for name, value in fields.items():
        assert getattr(intent, name) == value, name


@pytest.mark.parametrize(("text", "agent", "rest"), [
    ("sales_agent relance les leads", "sales_agent", "relance les leads"),
    ("contenu : trois posts d'automne", "content_agent", "trois posts d'automne"),
    ("Sécurité résume le mois", "security_agent", "résume le mois"),
    ("prépare trois posts Instagram", "content_agent", "prépare trois posts Instagram"),
    ("résume les incidents de sécurité", "security_agent", "résume les incidents de sécurité"),
    ("relance les leads qui n'ont pas acheté", "sales_agent", "relance les leads qui n'ont pas acheté"),
])
def test_choose_agent(text: str, agent: str, rest: str) -> None:
    assert choose_agent(text, KNOWN) == (agent, rest)


def test_french_answers() -> None:
    assert money("1234.5") == "1 234,50"
    quotes = {"kind": "quotes", "status": "pending", "count": 1, "amount": "99.90", "expiring_24h": 0,
              "items": [{"email": "a@b.fr", "total": "99.90", "currency": "EUR", "status": "pending",
                         "created_at": "2026-12-01T10:00:00+00:00", "expires_at": "2026-12-03T10:00:00+00:00"}]}
    assert answer(quotes) == ("1 devis en attente, 99,90 EUR au total :\n"
                              "• 2026-12-01 10:00 a@b.fr — 99,90 EUR (en attente), échéance 2026-12-03 10:00")
    assert answer({"kind": "leads", "days": 1, "count": 0, "buyers": 0, "avg_score": 0, "items": []}) == \
        "0 prospect ces dernières 24 heures."
    leads = {"kind": "leads", "days": 7, "count": 2, "buyers": 0, "avg_score": 60,
             "items": [{"name": "Marie", "email": "m@b.fr", "score": 80, "source": "chatbot",
                        "created_at": "2026-12-01T10:00:00+00:00"}]}
    assert answer(leads) == ("2 prospects ces 7 derniers jours (aucun n'a acheté, score moyen 60). Les mieux notés :\n"
                             "• Marie <m@b.fr> — score 80, chatbot, 2026-12-01 10:00")
    assert answer({"kind": "approvals", "count": 0, "items": []}) == "Aucune action n'attend votre accord."


def test_english_answers() -> None:
    leads = {"kind": "leads", "days": 7, "count": 1, "buyers": 0, "avg_score": 80,
             "items": [{"name": "Marie", "email": "m@b.fr", "score": 80, "source": "chatbot",
                        "created_at": "2026-12-01T10:00:00+00:00"}]}
    assert answer(leads, "en") == ("1 lead in the last 7 days (0 bought, average score 80). Best scored:\n"
                                   "• Marie <m@b.fr> — score 80, chatbot, 2026-12-01 10:00")
    incidents = {"kind": "incidents", "severity": "critical", "resolved": False, "days": 30, "count": 0, "items": []}
    assert answer(incidents, "en") == "0 unresolved critical incidents in 30 days."
    assert parse("how many leads today?").days == 1 and parse("/help").kind == "help"
