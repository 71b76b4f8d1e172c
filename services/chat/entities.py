"""Entity extraction from a visitor message, French and English, by rules.

Rules, not an LLM: extraction runs on every turn (also in grounded mode), must be instant, and its
confidence must be explainable. Each entity keeps the message it came from (`source_message`).
Types follow app_entity_memory: name, email, phone, preference, intent, complaint, sentiment.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}\b")
# French numbers (06 12 34 56 78, +33 6 12 34 56 78, 0612345678) and other international ones.
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(0\)[\s.-]?)?\d(?:[\s.-]?\d){7,12}(?!\w)")
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+"
NAME_PATTERNS = (
    (
        re.compile(
            rf"\b(?i:je m'appelle|je m’appelle|mon nom est|mon prénom est|moi c'est|moi c’est)\s+"
            rf"({_NAME_WORD}(?:\s+{_NAME_WORD})?)"
        ),
        0.9,
    ),
    (re.compile(rf"\b(?i:my name is|my name's|call me)\s+({_NAME_WORD}(?:\s+{_NAME_WORD})?)"), 0.9),
    (re.compile(rf"\b(?i:je suis|I am|I'm)\s+({_NAME_WORD}(?:\s+{_NAME_WORD})?)\s*(?:[,.!]|$)"), 0.6),
)
NOT_NAMES = frozenset(
    {
        "Bonjour",
        "Hello",
        "Merci",
        "Thanks",
        "Desole",
        "Sorry",
        "Interesse",
        "Interested",
        "Client",
        "Looking",
        "Perdu",
        "Lost",
        "Content",
        "Happy",
        "Francais",
        "French",
    }
)
PREFERENCE = re.compile(
    r"\b(?:je préfère|je prefere|j'aime|j’aime|j'adore|je cherche|je voudrais|i prefer|i like|i love|"
    r"i'm looking for|i am looking for|i want|i would like)\s+([^.!?\n,;]{3,80})",
    re.IGNORECASE,
)

# intent -> keywords (accents stripped, lower-case)
INTENTS: dict[str, tuple[str, ...]] = {
    "handoff": (
        "parler a un humain",
        "parler a quelqu",
        "un conseiller",
        "une personne",
        "un humain",
        "service client",
        "human",
        "real person",
        "an agent",
        "customer service",
        "talk to someone",
        "speak to someone",
        "un vendeur",
    ),
    "quote": ("devis", "quote", "estimation", "proforma", "tarif pour", "price for"),
    "purchase": (
        "acheter",
        "commander",
        "passer commande",
        "panier",
        "payer",
        "checkout",
        "buy",
        "purchase",
        "order",
        "add to cart",
        "je prends",
        "i'll take",
    ),
    "pricing": ("prix", "combien", "cout", "tarif", "price", "how much", "cost"),
    "shipping": ("livraison", "livrer", "expedition", "delai", "delivery", "shipping", "ship"),
    "returns": ("retour", "rembourse", "echange", "return", "refund", "exchange"),
    "availability": ("en stock", "disponible", "dispo", "in stock", "available"),
}
COMPLAINT = (
    "casse",
    "abime",
    "defectueux",
    "pas recu",
    "jamais recu",
    "toujours pas",
    "en retard",
    "inadmissible",
    "arnaque",
    "plainte",
    "reclamation",
    "mecontent",
    "decu",
    "ne marche pas",
    "ne fonctionne pas",
    "broken",
    "damaged",
    "never arrived",
    "not received",
    "late",
    "complaint",
    "doesn't work",
    "does not work",
    "disappointed",
    "unacceptable",
    "scam",
)
POSITIVE = (
    "merci",
    "super",
    "genial",
    "parfait",
    "top",
    "excellent",
    "bravo",
    "j'adore",
    "magnifique",
    "thanks",
    "thank you",
    "great",
    "perfect",
    "awesome",
    "love it",
    "wonderful",
)
NEGATIVE = (
    "nul",
    "horrible",
    "decu",
    "mecontent",
    "colere",
    "furieux",
    "inadmissible",
    "pas content",
    "bad",
    "terrible",
    "awful",
    "angry",
    "disappointed",
    "unacceptable",
    "worst",
    *COMPLAINT,
)


@dataclass(frozen=True)
class Entity:
    type: str
    value: str
    confidence: float


def fold(text: str) -> str:
    """Lower-case without accents, for keyword matching."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


@functools.cache
def _keywords(keywords: tuple[str, ...]) -> re.Pattern[str]:
    # one alternation per keyword list, longest first, whole words only
    ordered = sorted(keywords, key=len, reverse=True)
    return re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, ordered)) + r")(?![a-z])")


def _has(folded: str, keywords: tuple[str, ...]) -> bool:
    return _keywords(keywords).search(folded) is not None


def _count(folded: str, keywords: tuple[str, ...]) -> int:
    return len(set(_keywords(keywords).findall(folded)))


def intents_of(text: str) -> list[str]:
    folded = fold(text)
    return [name for name, keywords in INTENTS.items() if _has(folded, keywords)]


def _phones(text: str) -> list[str]:
    found = []
    for match in PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 9 <= len(digits) <= 15 and not re.fullmatch(r"(\d)\1+", digits):
            found.append(("+" if match.group().startswith("+") else "") + digits)
    return found


def contacts_in(text: str) -> list[str]:
    """E-mail addresses and phone numbers (digits) found in `text`."""
    return [e.lower() for e in EMAIL.findall(text)] + _phones(EMAIL.sub(" ", text))


def _names(text: str) -> list[Entity]:
    for pattern, confidence in NAME_PATTERNS:
        match = pattern.search(text)
        if match and fold(match.group(1).split()[0]).capitalize() not in NOT_NAMES:
            return [Entity("name", match.group(1).strip(), confidence)]
    return []


def sentiment_of(text: str) -> tuple[str, float]:
    folded = fold(text)
    positive = _count(folded, POSITIVE)
    negative = _count(folded, NEGATIVE)
    if negative > positive:
        return "negative", min(0.95, 0.6 + 0.1 * negative)
    if positive > negative:
        return "positive", min(0.95, 0.6 + 0.1 * positive)
    return "neutral", 0.5


def extract(text: str) -> list[Entity]:
    entities = [Entity("email", e.lower(), 0.99) for e in EMAIL.findall(text)]
    emails_removed = EMAIL.sub(" ", text)
    entities += [Entity("phone", p, 0.85) for p in _phones(emails_removed)]
    entities += _names(text)
    entities += [Entity("preference", m.group(1).strip(" ,;:").lower(), 0.7) for m in PREFERENCE.finditer(text)]
    entities += [Entity("intent", i, 0.8) for i in intents_of(text)]
    if _has(fold(text), COMPLAINT):
        entities.append(Entity("complaint", text.strip()[:200], 0.75))
    sentiment, confidence = sentiment_of(text)
    if sentiment != "neutral":
        entities.append(Entity("sentiment", sentiment, confidence))
    return _dedupe(entities)


def _dedupe(entities: list[Entity]) -> list[Entity]:
    best: dict[tuple[str, str], Entity] = {}
    for entity in entities:
        key = (entity.type, entity.value)
        if key not in best or best[key].confidence < entity.confidence:
            best[key] = entity
    return list(best.values())
