"""Quote and availability requests understood from the visitor's message (French and English).

Pure functions, no I/O: `parse` finds whether the message asks for a quote (or an order) or for
availability, and the items it names, each a quantity (digits or words: "un", "deux", "une
douzaine", "a dozen") and a product phrase; `resolve` picks, for one item, the catalogue product
(and variant) among the candidates billing's search returned, or the question to ask when two
remain ("Bougie Ambre 200 g ou 400 g ?"); `answer_choice` reads the visitor's answer to it.
Prices never come from here: the quote is built by billing from product ids and quantities.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["quote", "availability"]

NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30, "cinquante": 50,
    "cent": 100, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six_": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "fifty": 50, "hundred": 100, "a couple of": 2, "une paire de": 2, "a pair of": 2,
    "une douzaine de": 12, "une douzaine d": 12, "douzaine de": 12, "a dozen": 12, "dozen": 12,
    "une demi-douzaine de": 6, "une demi douzaine de": 6, "demi-douzaine de": 6, "half a dozen": 6,
    "deux douzaines de": 24, "two dozen": 24,
}
QUOTE_CUES = (
    "devis", "quote", "estimate", "proforma", "commander", "commande", "acheter", "achete", "je prends",
    "je voudrais", "j aimerais", "je veux", "il me faut", "il me faudrait", "mettez-moi", "mettez moi",
    "je souhaite", "i d like", "i would like", "i want", "i ll take", "i will take", "order", "buy",
    "price for", "prix pour", "combien pour", "combien couterait", "how much for", "can i get", "could i get",
)
AVAILABILITY_CUES = (
    "disponible", "dispo", "en stock", "available", "in stock", "reste-t-il", "reste t il", "il reste",
    "avez-vous encore", "avez vous encore", "do you have any", "still have", "rupture", "out of stock",
)
# words that carry no product meaning in a request
FILLER = re.compile(
    r"\b(?:je voudrais|j aimerais|je veux|je souhaite|je prends|il me faut|il me faudrait|mettez[- ]moi|"
    r"un devis|le devis|devis|une estimation|pour|svp|s il vous plait|merci|bonjour|bonsoir|please|thanks|"
    r"hello|hi|i d like|i would like|i want|i ll take|i will take|a quote|quote|an estimate|estimate|for|"
    r"can i get|could i get|order|buy|acheter|commander|de la|du|des|de|d|la|le|les|l|the|of|some|"
    r"est-ce que|est ce que|est il|est-il|est-elle|est elle|est|sont|is|are|the|vous|avez|encore|combien|prix|"
    r"how much|disponibles?|dispo|en stock|available|in stock|still|have|any|do you|you|reste-t-il|"
    r"reste t il|il reste|rupture|out of stock|c est possible|possible|est ce possible|moi|me|en|a|an|au|"
    r"aux|et|and|plus|avec|with)\b")
VARIANT_TOKEN = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:g|kg|ml|cl|l|cm|mm)\b|\b(?:xs|s|m|l|xl|xxl)\b")
SPLIT = re.compile(r"\s*(?:,|;|\+|\bet\b|\band\b|\bplus\b|\bainsi que\b|\bwith\b|\bavec\b)\s*(?=\S)")
ORDINALS = {"premier": 0, "premiere": 0, "first": 0, "1er": 0, "deuxieme": 1, "second": 1, "seconde": 1,
            "2e": 1, "troisieme": 2, "third": 2, "dernier": -1, "derniere": -1, "last": -1}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9,;+.\- ]", " ", text.replace("'", " "))).strip()


@dataclass(frozen=True)
class ItemAsk:
    quantity: int
    phrase: str  # folded product words ("bougie ambre 400 g")
    explicit_quantity: bool = True


@dataclass(frozen=True)
class Parsed:
    kind: Kind
    items: tuple[ItemAsk, ...]


_NUMBER_RE = re.compile(
    r"^(?:(?P<digits>\d{1,6})(?!\s?(?:g|kg|ml|cl|l|cm|mm)\b)(?:\s?x\b|\s?×)?|(?P<words>"
    + "|".join(sorted((re.escape(k.replace("_", "")) for k in NUMBER_WORDS), key=len, reverse=True))
    + r"))\s+(?P<rest>.+)$")


def _quantity(segment: str) -> tuple[int | None, str]:
    match = _NUMBER_RE.match(segment)
    if match is None:
        trailing = re.match(r"^(?P<rest>.+?)\s+(?:x\s?|×\s?)(?P<n>\d{1,6})$", segment)
        if trailing:
            return int(trailing["n"]), trailing["rest"]
        return None, segment
    if match["digits"]:
        return int(match["digits"]), match["rest"]
    words = match["words"]
    return NUMBER_WORDS.get(words, NUMBER_WORDS.get(words + "_", 1)), match["rest"]


def _product_words(text: str) -> str:
    return re.sub(r"\s+", " ", FILLER.sub(" ", text)).strip(" ,.-")


def kind_of(message: str) -> Kind | None:
    text = f" {fold(message)} "
    if any(f" {cue} " in text or text.strip().startswith(cue) for cue in AVAILABILITY_CUES):
        return "availability"
    if any(f" {cue} " in text for cue in QUOTE_CUES):
        return "quote"
    return None


def parse(message: str) -> Parsed | None:
    """The request in the message, or None when it asks for neither a quote nor availability."""
    kind = kind_of(message)
    if kind is None:
        return None
    text = fold(message).rstrip(" ?!.")
    # what follows the cue carries the items ("un devis pour 3 bougies et un coffret")
    for cue in (" pour ", " for ", "devis ", "quote ", "voudrais ", "would like ", "want ", "take ",
                "commander ", "order ", "acheter ", "buy ", "prends ", "faut ", "faudrait "):
        if kind == "quote" and cue in f" {text}":
            text = f" {text}".split(cue, 1)[1]
            break
    items: list[ItemAsk] = []
    for segment in SPLIT.split(text):
        segment = segment.strip(" ,.")
        if not segment:
            continue
        cleaned = re.sub(r"^(?:(?:un|une|le|la|les|l|du|des|de|d|the|a|an|some)\s+(?=devis|quote)|"
                         r"(?:devis|quote|estimate)\s+)", "", segment)
        # fillers first, but keep number words that start the segment
        qty, rest = _quantity(_strip_leading_fillers(cleaned))
        words = _product_words(rest)
        if not words or words in ("un", "une", "devis", "quote"):
            continue
        items.append(ItemAsk(qty or 1, words, qty is not None))
    return Parsed(kind, tuple(items))


_LEADING = re.compile(r"^(?:(?:je voudrais|j aimerais|je veux|je souhaite|je prends|il me faut|"
                      r"il me faudrait|mettez moi|mettez-moi|i d like|i would like|i want|i ll take|"
                      r"i will take|can i get|could i get|pour|for|svp|please|bonjour|hello|hi|encore|"
                      r"commander|acheter|order|buy|to order|to buy|me faire|send me|"
                      r"est ce que|est-ce que|avez vous|avez-vous|do you have)\s+)+")


def _strip_leading_fillers(segment: str) -> str:
    return _LEADING.sub("", segment).strip()


# ---- resolving one item against the catalogue ------------------------------------------------------
@dataclass(frozen=True)
class Option:
    product_id: str
    variant_id: str | None
    label: str


@dataclass
class Resolution:
    status: Literal["matched", "ambiguous", "unknown"]
    option: Option | None = None
    options: list[Option] = field(default_factory=list)


def _tokens(text: str) -> set[str]:
    return {_stem(t) for t in re.findall(r"[a-z0-9]+", fold(text)) if len(t) > 1 or t.isdigit()}


# common product nouns of an English request for a French catalogue (and back)
SYNONYMS = {"candle": "bougie", "candles": "bougie", "box": "coffret", "boxes": "coffret", "lamp": "lampe",
            "lamps": "lampe", "soap": "savon", "soaps": "savon", "diffuser": "diffuseur", "book": "livre",
            "books": "livre", "amber": "ambre", "fig": "figue", "autumn": "automne", "light": "lumiere",
            "discovery": "decouverte", "gift": "cadeau", "green": "vert", "tea": "the", "scented": "parfume",
            "mug": "tasse", "cup": "tasse", "blanket": "plaid", "throw": "plaid", "vase": "vase"}


def _stem(word: str) -> str:
    word = SYNONYMS.get(word, word)
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    for _ in range(2):
        if len(word) > 3 and word.endswith("e"):
            word = word[:-1]
    return word


def _variant_tokens(text: str) -> set[str]:
    return {re.sub(r"\s", "", m).replace(",", ".") for m in VARIANT_TOKEN.findall(fold(text))}


def _product_score(phrase: set[str], product: dict[str, Any]) -> float:
    name = _tokens(product["name"])
    extra = _tokens(" ".join([product.get("category") or "", *(product.get("attributes") or {}).values()]))
    if not phrase:
        return 0.0
    hits = len(phrase & name) + 0.5 * len((phrase - name) & extra)
    return hits / max(len(phrase), 1) + 0.01 * (len(phrase & name) / max(len(name), 1))


def resolve(item: ItemAsk, candidates: list[dict[str, Any]]) -> Resolution:
    """The product (and variant) an item names among billing's search results (`ProductView` dicts)."""
    phrase_all = _tokens(item.phrase)
    wanted_variant = _variant_tokens(item.phrase)
    phrase = {t for t in phrase_all if t not in {re.sub(r"[^a-z0-9]", "", v) for v in wanted_variant}}
    scored = sorted(((round(_product_score(phrase, c), 3), c) for c in candidates),
                    key=lambda sc: -sc[0])
    scored = [(s, c) for s, c in scored if s >= 0.5]
    if not scored:
        return Resolution("unknown")
    best = scored[0][0]
    top = [c for s, c in scored if s >= best - 0.001]
    if len(top) > 1:
        # the one whose own name is fully named wins ("bougie ambre" over "bougie ambre xl"?)
        exact = [c for c in top if _tokens(c["name"]) <= phrase_all]
        top = exact if len(exact) == 1 else top
    if len(top) > 1:
        return Resolution("ambiguous", options=[Option(c["id"], None, c["name"]) for c in top[:4]])
    product = top[0]
    variants = product.get("variants") or []
    if not variants:
        return Resolution("matched", Option(product["id"], None, product["name"]))
    named = [v for v in variants if _variant_tokens(v["name"]) & wanted_variant
             or (_tokens(v["name"]) and _tokens(v["name"]) <= phrase_all)]
    if len(named) == 1:
        v = named[0]
        return Resolution("matched", Option(product["id"], v["id"], f"{product['name']} {v['name']}"))
    return Resolution("ambiguous", options=[Option(product["id"], v["id"], f"{product['name']} {v['name']}")
                                            for v in (named or variants)[:4]])


def answer_choice(message: str, options: list[Option]) -> Option | None:
    """The option the visitor's answer picks ("le 400 g", "la deuxième", "Bougie Figue"), if one."""
    text = fold(message)
    for word, index in ORDINALS.items():
        if re.search(rf"\b{word}\b", text) and -len(options) <= index < len(options):
            return options[index]
    wanted = _variant_tokens(text)
    by_variant = [o for o in options if _variant_tokens(o.label) & wanted]
    if len(by_variant) == 1:
        return by_variant[0]
    words = _tokens(text)
    scored = sorted(((len(_tokens(o.label) & words), o) for o in options), key=lambda so: -so[0])
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        # only the words that tell the options apart count
        common = set.intersection(*(_tokens(o.label) for o in options)) if len(options) > 1 else set()
        if (_tokens(scored[0][1].label) - common) & words or len(options) == 1:
            return scored[0][1]
    return None


def question(options: list[Option], lang: str) -> str:
    """'Bougie Ambre 200 g ou 400 g ?' (the shared start said once)."""
    labels = [o.label for o in options]
    prefix = _common_prefix(labels)
    parts = [labels[0]] + [label[len(prefix):] if prefix else label for label in labels[1:]]
    joiner, last = (", ", " ou ") if lang != "en" else (", ", " or ")
    text = joiner.join(parts[:-1]) + last + parts[-1] if len(parts) > 1 else parts[0]
    return f"{text} ?" if lang != "en" else f"{text}?"


def _common_prefix(labels: list[str]) -> str:
    if len(labels) < 2:
        return ""
    words = [label.split(" ") for label in labels]
    common: list[str] = []
    for group in zip(*words, strict=False):
        if len(set(group)) != 1:
            break
        common.append(group[0])
    if not common or all(len(w) == len(common) for w in words):
        return ""
    return " ".join(common) + " "
