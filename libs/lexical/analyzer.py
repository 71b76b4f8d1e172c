"""The analyzer: text → index terms.

Steps, in order: Unicode NFKC and lower case; typographic apostrophes and hyphens unified; French
elisions split off (`l'`, `d'`, `qu'`, `jusqu'`…: the article goes, the word stays); tokens are runs
of letters and digits; accents folded; stop words and request verbs (stopwords.py) dropped; the rest
stemmed by Snowball, then a final mute « e » dropped from French stems. Stemming the folded word
(rather than the accented one, which Snowball's French rules prefer) makes a visitor who types
without accents get the same terms as the accented text: « expédiée », « expediee » and « EXPÉDIÉE »
give one term.
Digits are kept as they are (sizes, prices, years).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache

import snowballstemmer

from libs.lexical.families import FAMILIES_FR
from libs.lexical.stopwords import REQUEST_WORDS, STOP_WORDS

LANGUAGES = ("fr", "en")
_STEMMERS = {"fr": "french", "en": "english"}
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'", "´": "'", "‐": "-", "‑": "-",
                              "–": "-", "—": "-"})
_SPECIAL_FOLDS = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l",
                                "ı": "i"})
# word characters (letters with their accents, digits) possibly joined by an apostrophe
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# French elisions (« l'», « qu'»…) in front of a word; also read by rag's word vectors
ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu|quelqu)'(?=[^\W_])")
MAX_TOKEN_CHARS = 40


def normalise(text: str) -> str:
    """NFKC, lower case, one apostrophe and one hyphen."""
    return unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Accents removed: « Noël » → « noel », « œuvre » → « oeuvre »."""
    decomposed = unicodedata.normalize("NFD", word.translate(_SPECIAL_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Normalised word tokens with elisions split off (accents kept)."""
    out: list[str] = []
    for match in _TOKEN.finditer(normalise(text)):
        token = ELISION.sub("", match.group())
        # words still joined by an apostrophe (« aujourd'hui », English « don't ») are split
        out.extend(part for part in token.split("'") if part)
    return out


@dataclass(frozen=True)
class Analyzer:
    """Analysis for one language; `terms` is what gets indexed and what a query is made of."""

    language: str
    stop_words: frozenset[str]
    _stem: Callable[[str], str] = field(repr=False, compare=False)

    def terms(self, text: str) -> list[str]:
        out: list[str] = []
        subject = False  # French « nous » just before, clitics (« nous vous l'envoyons ») skipped
        for token in tokens(text):
            if len(token) > MAX_TOKEN_CHARS:
                subject = False
                continue
            folded = fold(token)
            term = self._term(_first_plural(folded) if subject else folded)
            if self.language == "fr":
                subject = folded == "nous" or (subject and folded in _CLITICS)
            if term:
                out.append(term)
        return out

    def _term(self, folded: str) -> str | None:
        if folded in self.stop_words:
            return None
        if folded.isdigit():
            return folded
        stem = self._raw_stem(folded)
        if self.language == "fr":
            stem = _families().get(stem, stem)
        return stem or None

    def _raw_stem(self, folded: str) -> str:
        stem = self._stem(folded)
        if self.language == "fr" and len(stem) > 3 and stem.endswith("e"):
            stem = stem[:-1]
        return stem


# Snowball's French leaves the « -ons » of « nous livrons » on (« livron », not « livr »): after
# « nous » such a word is taken as a verb and stemmed as its infinitive (« livrer »; « -issons » →
# « -ir »: « garantissons » → « garantir »). Only there: « maisons », « boutons » keep their « on ».
_CLITICS = frozenset({"vous", "le", "la", "les", "leur", "lui", "en", "y", "ne", "nous", "se"})


def _first_plural(folded: str) -> str:
    if folded.endswith("issons") and len(folded) > 7:
        return folded[:-6] + "ir"
    if folded.endswith("ons") and len(folded) > 5:
        return folded[:-3] + "er"
    return folded


@cache
def _families() -> dict[str, str]:
    """Stem → the stem of its family's first word (families.py)."""
    fr = analyzer("fr")
    index: dict[str, str] = {}
    for family in FAMILIES_FR:
        stems = [fr._raw_stem(fold(normalise(word))) for word in family]
        for stem in stems[1:]:
            if stem != stems[0]:
                index.setdefault(stem, stems[0])
    return index


def _stemmer(language: str) -> Callable[[str], str]:
    stemmer = snowballstemmer.stemmer(_STEMMERS[language])
    cached: Callable[[str], str] = lru_cache(maxsize=131072)(stemmer.stemWord)
    return cached


@cache
def analyzer(language: str | None) -> Analyzer:
    """The analyzer of `fr` or `en`; any other language (or none) is analysed as French."""
    lang = language if language in _STEMMERS else "fr"
    assert lang is not None
    return Analyzer(lang, STOP_WORDS[lang] | REQUEST_WORDS[lang], _stemmer(lang))


def analyze(text: str, language: str | None = "fr") -> list[str]:
    return analyzer(language).terms(text)


def term_frequencies(text: str, language: str | None = "fr") -> Counter[str]:
    return Counter(analyze(text, language))
