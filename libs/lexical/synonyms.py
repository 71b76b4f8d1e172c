"""Query expansion for French shop vocabulary: groups of words a visitor and a shop's pages use for
the same thing (« recevoir ma commande » / « livraison », « magasin » / « boutique »). A query term
found in a group brings the group's other terms in at a lower weight (`EXPANSION_WEIGHT`), so an exact
match still ranks first. Groups are written as words and analysed like any text, so they follow the
analyzer. They were written from the failures on the development questions of bench/data/rag
(shop-dev.jsonl), kept to general shop French, never from the test questions.
"""

from __future__ import annotations

from functools import cache

from libs.lexical.analyzer import analyze

EXPANSION_WEIGHT = 0.5

GROUPS_FR: tuple[tuple[str, ...], ...] = (
    ("livraison", "livrer", "livré", "recevoir", "réception", "expédition", "expédier", "envoi", "colis"),
    ("frais de port", "frais d'envoi", "frais de livraison"),
    ("magasin", "boutique", "showroom"),
    ("demain", "lendemain"),
    ("chercher", "retrait", "retirer"),
    ("bon d'achat", "carte cadeau", "chèque cadeau"),
    ("offrir", "cadeau"),
    ("panne", "cassé", "défectueux", "allume", "fonctionne", "marche", "réparation", "sav"),
    ("téléphone", "appeler", "joindre", "contact", "numéro"),
    ("jardin", "extérieur", "terrasse", "balcon"),
    ("prix", "coût", "coûter", "tarif", "combien"),
    ("délai", "temps", "durée", "jours"),
    ("couleur", "finition", "teinte"),
    ("échanger", "échange", "changer"),
    ("rembourser", "remboursement", "argent"),
    ("retourner", "retour", "renvoyer", "rétractation"),
    ("fabriqué", "fabrication", "atelier", "origine"),
    ("payer", "paiement", "régler", "règlement"),
    ("abîmé", "endommagé", "cassé", "écrasé"),
    ("ampoule", "lampe"),
    ("garantie", "garanti"),
    ("facture", "reçu"),
    ("annuler", "annulation"),
    ("code promo", "réduction", "remise", "promotion"),
)


@cache
def _index(language: str) -> dict[str, frozenset[str]]:
    groups = GROUPS_FR if language == "fr" else ()
    index: dict[str, set[str]] = {}
    for group in groups:
        terms = {t for phrase in group for t in analyze(phrase, language)}
        for term in terms:
            index.setdefault(term, set()).update(terms)
    return {term: frozenset(others - {term}) for term, others in index.items()}


def expand(terms: list[str], language: str = "fr") -> list[tuple[str, float]]:
    """The terms (weight 1) followed by their synonyms not already there (EXPANSION_WEIGHT)."""
    index = _index(language)
    weighted = dict.fromkeys(terms, 1.0)
    for term in terms:
        for other in sorted(index.get(term, ())):
            weighted.setdefault(other, EXPANSION_WEIGHT)
    return list(weighted.items())
