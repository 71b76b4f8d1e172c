"""Co-occurrence cues: an action on the assistant's instructions or secrets, addressed to it.

Rules catch known phrasings; attackers keep inventing new ones ("dump your full prompt", "your earlier
orders are obsolete"). Within one sentence, an action word (ignore, reveal, dump, quote…), a target
(instructions, prompt, rules, keys…) and a reference to the assistant (you, your, tes, dein…) together
flag the message. A target followed by "for / de / pour …" is the shop's own rules ("your rules for
returns", "vos instructions de lavage") and does not count.
"""

from __future__ import annotations

import re

from libs.common.events.security import IncidentType

_OVERRIDE = {
    "ignore", "ignores", "ignorez", "ignorer", "disregard", "forget", "override", "bypass", "skip", "drop",
    "obsolete", "void", "cancelled", "canceled", "outdated", "invalid", "oublie", "oubliez", "oublier", "contourne",
    "annule", "annulees", "caduques", "perimees", "olvida", "ignora", "anula", "vergiss", "ignoriere", "ungultig",
    "dimentica", "annulla", "superate", "replace", "remplace", "delete", "supprime", "erase", "leave", "aside",
    "behind", "off", "disabled", "deactivated", "freed", "unleashed", "liberated", "libere", "liberee", "cote",
    "desactives", "desactivees", "lado", "beiseite", "ignorier", "parte", "lift", "lifted", "suspend", "suspended",
}
_REVEAL = {
    "dump", "reveal", "leak", "quote", "print", "show", "display", "repeat", "recite", "copy", "paste", "output",
    "expose", "disclose", "tell", "share", "list", "revele", "affiche", "montre", "recopie", "copie", "cite",
    "divulgue", "partage", "donne", "ecris", "repete", "revela", "muestra", "dime", "copia", "repite", "zeig",
    "zeige", "verrate", "nenne", "gib", "wiederhole", "rivela", "mostra", "dimmi", "ripeti", "scrivi", "keeping",
    "hiding", "caches", "ocultas", "versteckst", "nascondi", "provide", "transmit", "transmettre", "transmets",
    "dis", "dites", "kopiere", "incolla", "incollami", "pasame", "pasa", "copier", "send", "envoie", "envoyer",
    "give", "explain", "explique", "describe", "decris",
}
_TARGET = {
    "instructions", "instruction", "prompt", "rules", "guidelines", "directives", "orders", "configuration",
    "config", "settings", "secrets", "keys", "password", "passwords", "token", "tokens", "credentials",
    "consignes", "regles", "parametres", "cles", "instrucciones", "reglas", "directrices", "claves", "secretos",
    "anweisungen", "regeln", "vorgaben", "schlussel", "geheimnisse", "istruzioni", "regole", "direttive",
    "chiavi", "segreti", "programming", "programmation", "guardrails", "garde-fous", "garde-fou", "constraints",
    "contraintes", "restrictions", "filters", "filtres", "safety", "policies", "persona", "identifiants",
    "sicherheitsregeln", "restricciones", "restrizioni", "vincoli", "instructed", "instruit", "comporter", "behave",
    "loaded", "geladen", "caricato", "cargaron", "sys",
}
_YOU = {
    "you", "your", "yours", "yourself", "tu", "tes", "ton", "ta", "te", "toi", "vous", "vos", "votre", "tus",
    "ti", "du", "dein", "deine", "deinen", "deiner", "dir", "dich", "tuo", "tua", "tue", "tuoi", "ur", "u", "t",
    "assistant", "assistante", "chatbot", "bot",
}
_SHOP_OWN = {
    "for", "of", "on", "about", "de", "du", "des", "pour", "sur", "concernant", "regarding", "para", "del",
    "fur", "zum", "zur", "per", "di", "della", "reset", "policy", "page", "d",
}
_TO_ME = {"me", "m", "mir", "mi", "moi"}
_PRONOUN_SUFFIXES = {"moi", "nous", "toi", "le", "la", "les", "lui"}
_SENTENCE = re.compile(r"[.!?;\n]+")
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


def _verb(word: str) -> str:
    """'dis-moi' → 'dis': French imperatives carry their pronoun."""
    head, _, tail = word.partition("-")
    return head if tail in _PRONOUN_SUFFIXES else word


def _owned_target(words: list[str], i: int) -> bool:
    """The target belongs to the assistant ("your rules", "the rules you follow"), not to the shop."""
    if i + 1 < len(words) and words[i + 1] in _SHOP_OWN:
        return False
    after = words[i + 1:i + 5]
    if not _TO_ME.isdisjoint(after) and not _YOU.isdisjoint(after):
        return False  # "the instructions you gave me": what the assistant told the visitor is the visitor's
    return not _YOU.isdisjoint(words[max(0, i - 2):i]) or not _YOU.isdisjoint(words[i + 1:i + 4])


def cue_signal(text: str) -> tuple[str, IncidentType, float] | None:
    """('cue_override' | 'cue_reveal', type, weight) when one sentence holds action + target + 'you'."""
    for sentence in _SENTENCE.split(text):
        words = [_verb(w) if "-" in w else w for w in _WORD.findall(sentence)]  # skips a call per plain word
        if len(words) < 3 or _YOU.isdisjoint(words):
            continue
        if not any(_owned_target(words, i) for i, w in enumerate(words) if w in _TARGET):
            continue
        if not _OVERRIDE.isdisjoint(words):
            return ("cue_override", "injection", 0.55)
        if not _REVEAL.isdisjoint(words):
            return ("cue_reveal", "disclosure", 0.55)
    return None
