"""Grounded (no-LLM) answers: from the best chunks and company facts, in the visitor's language, with
citations, always offering a human. Also the fixed replies (handoff, limits, topic lock)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.chat import grounded
from services.chat.entities import fold

EN_WORDS = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "you",
        "your",
        "what",
        "how",
        "when",
        "where",
        "do",
        "does",
        "can",
        "could",
        "i",
        "my",
        "me",
        "please",
        "thanks",
        "hello",
        "hi",
        "want",
        "would",
        "like",
        "which",
        "price",
        "delivery",
        "return",
        "order",
    ]
)
FR_WORDS = frozenset(
    [
        "le",
        "la",
        "les",
        "et",
        "est",
        "sont",
        "vous",
        "votre",
        "quoi",
        "comment",
        "quand",
        "ou",
        "je",
        "mon",
        "ma",
        "mes",
        "bonjour",
        "merci",
        "voudrais",
        "prix",
        "livraison",
        "retour",
        "commande",
        "une",
        "des",
        "du",
        "pour",
        "avec",
    ]
)
INTENT_FACT_WORDS = {
    "shipping": ("shipping", "delivery", "livraison", "expedition"),
    "returns": ("return", "retour", "refund", "rembourse"),
    "handoff": ("contact", "phone", "email", "hours", "horaire"),
}
SMALL_TALK = frozenset(
    {
        "bonjour",
        "bonsoir",
        "salut",
        "coucou",
        "hello",
        "hi",
        "hey",
        "merci",
        "thanks",
        "thank",
        "ok",
        "d'accord",
        "super",
        "parfait",
        "great",
        "bye",
        "revoir",
    }
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

TEXTS = {
    "fr": {
        "facts": "Bon à savoir :",
        "offer": "Souhaitez-vous qu'un conseiller vous réponde personnellement ?",
        "unknown": "Je ne trouve pas cette information dans notre base de connaissances et je préfère ne "
        "pas vous répondre au hasard. Voulez-vous que je transmette votre question à un conseiller ?",
        "handoff": "Je transmets votre demande à un conseiller de {brand}. Il reprendra cette conversation "
        "{contact}. Vous pouvez continuer à écrire ici en attendant.",
        "contact_known": "et vous recontactera à l'adresse que vous nous avez donnée",
        "contact_unknown": "dès que possible ; laissez-nous votre e-mail ou votre téléphone pour être recontacté",
        "limit": "Cette conversation a atteint sa longueur maximale. Vous pouvez la réinitialiser pour en "
        "commencer une nouvelle, ou demander à parler à un conseiller.",
        "topic": "Je suis l'assistant de {brand} et je ne peux vous aider que sur nos produits, commandes, "
        "livraisons et retours. Que puis-je faire pour vous à ce sujet ?",
        "greeting": "Bonjour ! Je suis l'assistant de {brand}. Je peux vous renseigner sur nos produits, "
        "livraisons, retours ou vous préparer un devis. Que puis-je faire pour vous ?",
        "quote": "J'ai préparé votre devis n° {quote_id} : {total} {currency}.",
        "quote_link": " Vous pouvez le régler ici : {url}",
    },
    "en": {
        "facts": "Good to know:",
        "offer": "Would you like one of our advisers to answer you personally?",
        "unknown": "I can't find this in our knowledge base and I'd rather not guess. Shall I pass your "
        "question on to one of our advisers?",
        "handoff": "I'm passing your request to an adviser at {brand}. They will pick up this conversation "
        "{contact}. You can keep writing here in the meantime.",
        "contact_known": "and get back to you at the contact details you gave us",
        "contact_unknown": "as soon as possible; leave your e-mail or phone number so they can reach you",
        "limit": "This conversation has reached its maximum length. You can reset it to start a new one, "
        "or ask to talk to an adviser.",
        "topic": "I'm {brand}'s assistant and can only help with our products, orders, delivery and returns. "
        "What can I do for you about those?",
        "greeting": "Hello! I'm {brand}'s assistant. I can help with our products, delivery, returns "
        "or prepare a quote for you. What can I do for you?",
        "quote": "I've prepared your quote no. {quote_id}: {total} {currency}.",
        "quote_link": " You can pay it here: {url}",
    },
}


@dataclass(frozen=True)
class Chunk:
    id: str
    content: str
    source: str
    title: str | None
    doc_id: str | None
    score: float
    relevant: bool
    language: str | None = None


def language_of(text: str, locale: str | None) -> str:
    """`fr` or `en`: the message's own words win (stop-word profiles, services/chat/grounded.py),
    the locale breaks ties (French by default)."""
    return grounded.detect_language(text, locale)


def is_small_talk(message: str) -> bool:
    words = re.findall(r"[a-z']+", fold(message))
    return 0 < len(words) <= 5 and any(w in SMALL_TALK for w in words)


def text(lang: str, key: str, **values: str) -> str:
    return TEXTS.get(lang, TEXTS["fr"])[key].format(**values)


def snippet(content: str, max_chars: int = 280) -> str:
    sentences = SENTENCE_END.split(" ".join(content.split()))
    out = ""
    for sentence in sentences:
        if out and len(out) + len(sentence) + 1 > max_chars:
            break
        out = f"{out} {sentence}".strip()
    return out if len(out) <= max_chars else out[: max_chars - 1].rstrip() + "…"


def relevant_facts(message: str, intents: list[str], facts: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    words = {w for w in re.findall(r"[a-z]{4,}", fold(message))}
    wanted = {w for i in intents for w in INTENT_FACT_WORDS.get(i, ())}
    chosen = []
    for key, value, category in facts:
        haystack = fold(f"{key} {category}")
        if any(w in haystack for w in wanted) or words & set(re.findall(r"[a-z]{4,}", fold(value))) - {"nous"}:
            chosen.append((key, value))
    return chosen[:3]


def grounded_answer(
    message: str, lang: str, chunks: list[Chunk], facts: list[tuple[str, str, str]], intents: list[str]
) -> tuple[str, list[Chunk]]:
    """The reply and the chunks it cites (one per document, in marker order): the sentences of the
    relevant passages that answer the question (services/chat/grounded.py), the matching company
    facts, and the offer of an adviser; an honest "I don't know" when nothing relevant was found."""
    docs: dict[str, list[Chunk]] = {}
    terms = grounded.question_terms(message)
    # the relevant hits, those holding more of the question's words first (search order breaks ties)
    ranked = sorted((c for c in chunks if c.relevant),
                    key=lambda c: -grounded.coverage(message, f"{c.title or ''}\n{c.content}", terms, 0.5))
    for chunk in ranked:
        docs.setdefault(chunk.doc_id or chunk.source or chunk.id, []).append(chunk)
    passages = [grounded.Passage(doc, group[0].title, "\n".join(c.content for c in group), i)
                for i, (doc, group) in enumerate(list(docs.items())[:3], start=1)]
    picked = grounded.answer_sentences(message, passages)
    order = list(dict.fromkeys(marker for _, marker in picked))  # documents cited, renumbered 1, 2, …
    renumber = {old: new for new, old in enumerate(order, start=1)}
    picked = [(sentence, renumber[marker]) for sentence, marker in picked]
    used = [docs[passages[old - 1].doc][0] for old in order]
    matched = relevant_facts(message, intents, facts)
    if not picked and not matched:
        return text(lang, "unknown"), []
    parts: list[str] = []
    if picked:
        parts.append(grounded.compose(lang, picked, _passages_language(used)))
    if matched:
        parts.append(text(lang, "facts") + " " + " ".join(value for _, value in matched))
    parts.append(text(lang, "offer"))
    return "\n".join(parts), used


def _passages_language(chunks: list[Chunk]) -> str:
    return "en" if chunks and all(c.language == "en" for c in chunks) else "fr"
