"""Grounded answers without an LLM: which hits may be answered from, which sentences answer, how
the reply reads; and the question's language.

- Relevance (`is_relevant`): a hit is answered from when the question's content words are found in
  it (`coverage`, weighted: a French shop synonym counts half) and its cosine is not low, or when
  its cosine alone is high. Thresholds were calibrated with `bench.rag_answers` on the shop FAQ's
  development questions and the first half of the unanswerable ones (docs/benchmarks.md). The LLM
  path uses the same flag, so the same passages and refusal rule feed the prompt.
- Sentences (`answer_sentences`): the relevant passages are cut into sentences (heading lines and
  repeated titles dropped); each is scored by the question's terms it holds; the best one or two of
  the best passage, and the best of a second document when it adds something, make the reply.
- One citation per document: chunks of one document share one marker.
- Language (`detect_language`): stop-word profiles of French and English (libs.lexical), the
  visitor's locale breaking ties. An English question over French passages gets the English
  template around the French sentences, saying they are in French; its terms are those of its French
  rendering (libs.lexical.glossary), so the French sentence that answers it can be found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from libs.lexical import analyze, fold, stop_word_votes, tokens
from libs.lexical.glossary import to_french
from libs.lexical.synonyms import expand

# below this share of the question's weighted content terms, a hit needs a high cosine on its own
MIN_COVERAGE = 0.6
MIN_SIMILARITY = 0.2  # with enough coverage, a hit still needs this cosine
HIGH_SIMILARITY = 0.6  # a hit this close to the question is answered from whatever its words
MAX_SENTENCES = 3

# words of a question that say what kind of answer is wanted, not what it is about
_QUESTION_WORDS = """
comment combien quand pourquoi quel quelle quels quelles ou où qui quoi est-ce puis peut peux pouvez
pourrais pourriez faut faire fait possible savoir voudrais voudrait aimerais souhaite besoin dois doit
bonjour merci svp stp avez vous bien aussi encore déjà très être suis es sommes êtes vais vas va allez
vendez vendre vend proposez proposer propose faites existe exister type genre chose truc
how what when where why which who can could would should do does did is are please thanks hello
tell know want need get
"""
QUESTION_WORDS = frozenset(fold(w) for w in _QUESTION_WORDS.split())
_HEADING_MAX_WORDS = 10
# a sentence that leans on the one before it ("En dessous de ce montant, …", "Elle est offerte…"):
# quoted alone it makes no sense, so its antecedent comes with it
_ANAPHOR = re.compile(
    r"^(?:en dessous de ce|au-dessus de ce|au-delà de ce|au dela de ce|dans ce cas|pour cela|sinon|"
    r"ce|cet|cette|ces|il|elle|ils|elles|celui-ci|celle-ci|"
    r"below this|above this|beyond this|in that case|otherwise|this|these|that|those|it|they)\b",
    re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ0-9«\"(])")
_EN_HINTS = frozenset({"hi", "hello", "thanks", "please", "shipping", "delivery", "refund", "order"})
_FR_HINTS = frozenset({"bonjour", "merci", "livraison", "commande", "remboursement", "svp"})


@lru_cache(maxsize=1024)  # pure, and asked for the same question once per hit judged
def detect_language(text: str, locale: str | None = None) -> str:
    """`fr` or `en` by stop-word profile; the locale breaks ties (French when there is none)."""
    words = [fold(t) for t in tokens(text)]
    fr, en = stop_word_votes(words)
    # the hints are in neither stop-word list (tests/chat/test_grounded.py)
    fr += sum(w in _FR_HINTS for w in words)
    en += sum(w in _EN_HINTS for w in words)
    if fr != en and max(fr, en) >= 1 and (abs(fr - en) >= 1 and (max(fr, en) >= 2 or not locale)):
        return "en" if en > fr else "fr"
    return "en" if (locale or "fr").lower().startswith("en") else "fr"


def question_terms(question: str) -> list[tuple[str, float]]:
    """The question's content terms (French analysis, question words out) with synonym weights; an
    English question's are those of its French rendering (libs.lexical.glossary) and its own."""
    rendering = _french_rendering(question)
    if rendering is None:
        return list(_question_terms(question))
    return list(dict.fromkeys(_question_terms(rendering) + _question_terms(question)))


def _french_rendering(question: str) -> str | None:
    """An English question in the French words of the shop's English vocabulary and its names (None:
    not English); its other English words, which no French page holds, do not dilute the coverage."""
    return to_french(question, names_only=True) if detect_language(question) == "en" else None


@lru_cache(maxsize=1024)  # asked once per hit judged and again to compose the reply
def _question_terms(question: str) -> tuple[tuple[str, float], ...]:
    content = [t for t in tokens(question) if fold(t) not in QUESTION_WORDS]
    terms = list(dict.fromkeys(analyze(" ".join(content), "fr")))
    return tuple(expand(terms, "fr"))


def coverage(question: str, passage: str, terms: Sequence[tuple[str, float]] | None = None,
             synonyms: float = 0.0) -> float:
    """Share of the question's terms the passage holds. A synonym found can stand for a missing term
    at `synonyms` of its weight (0 by default: the calibration found synonyms let unrelated passages
    through — « temps » is everywhere a « délai » is). An English question counts the better of its
    French rendering and its own words (French pages, English pages)."""
    if terms is not None:
        return _coverage(terms, passage, synonyms)
    rendering = _french_rendering(question)
    own = _coverage(_question_terms(question), passage, synonyms)
    return own if rendering is None else max(own, _coverage(_question_terms(rendering), passage, synonyms))


def _coverage(weighted: Sequence[tuple[str, float]], passage: str, synonyms: float) -> float:
    original = [t for t, w in weighted if w == 1.0]
    if not original:
        return 0.0
    held = _held(passage)
    found = sum(1.0 for t in original if t in held)
    extra = synonyms * sum(1.0 for t, w in weighted if w < 1.0 and t in held)
    return min(1.0, (found + min(extra, len(original) - found)) / len(original))


@lru_cache(maxsize=4096)
def _held(text: str) -> frozenset[str]:
    """The French terms of a passage or sentence. The same knowledge-base passages come back turn after
    turn, and their analysis (stemming every word) was a tenth of a turn's CPU in chat: kept, bounded."""
    return frozenset(analyze(text, "fr"))


def is_relevant(question: str, passage: str, similarity: float | None, high: float = HIGH_SIMILARITY,
                min_coverage: float = MIN_COVERAGE, min_similarity: float = MIN_SIMILARITY,
                passage_language: str | None = None) -> bool:
    sim = similarity if similarity is not None else 0.0
    if sim >= high:
        return True
    if detect_language(question) == "en" and passage_language != "en":
        # an English question over a French passage: the cosine across the two languages says little
        # (MiniLM is an English model: the right passage's cosine was 0.05–0.25 on bench/data/rag's
        # English questions), so the words of the question's French rendering decide alone
        return coverage(question, passage, synonyms=0.5) >= min_coverage
    return sim >= min_similarity and coverage(question, passage, synonyms=0.5) >= min_coverage


@dataclass(frozen=True)
class Passage:
    """A document's relevant text, in rank order; `marker` is its citation number."""

    doc: str
    title: str | None
    text: str
    marker: int


def sentences(text: str, title: str | None) -> list[str]:
    """The passage's sentences: heading lines (short lines without a final stop) and the title go."""
    out: list[str] = []
    folded_title = fold(title.strip().lower()) if title else None
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if not line:
            continue
        is_heading = len(line.split()) <= _HEADING_MAX_WORDS and not line.endswith((".", "!", "?", "…", ":", ";"))
        if is_heading or (folded_title and fold(line.lower()) == folded_title):
            continue
        out.extend(s.strip() for s in _SENTENCE.split(line) if s.strip())
    return out


def _score(sentence: str, terms: Sequence[tuple[str, float]]) -> float:
    held = _held(sentence)
    return sum(w for t, w in terms if t in held)


def answer_sentences(question: str, passages: Sequence[Passage]) -> list[tuple[str, int]]:
    """(sentence, marker): the best one or two sentences of the first passage, then the best of the
    next documents when they hold question terms the chosen sentences do not. A FAQ's own questions
    («Puis-je modifier ma commande ?») share the visitor's words but answer nothing: never chosen
    (they may still come as the antecedent of an answer that leans on them, «Oui, tant que…»)."""
    terms = question_terms(question)
    chosen: list[tuple[str, int]] = []
    covered: set[str] = set()
    for rank, passage in enumerate(passages):
        candidates = sentences(passage.text, passage.title)
        if not candidates:
            continue
        scored = sorted(((_score(s, terms), -i, s) for i, s in enumerate(candidates)
                         if not s.rstrip(" »\")").endswith("?")), reverse=True)
        if not scored:
            continue
        if rank == 0:
            best = [scored[0]]
            if len(scored) > 1 and scored[1][0] > 0 and scored[1][0] >= scored[0][0] / 2:
                best.append(scored[1])
            for i in _with_antecedents(candidates, sorted(-neg for _, neg, _ in best)):  # reading order
                chosen.append((candidates[i], passage.marker))
                covered |= _held(candidates[i])
        else:
            score, _, s = scored[0]
            new = {t for t, w in terms if w == 1.0 and t in _held(s)} - covered
            if score > 0 and new:
                chosen.append((s, passage.marker))
                covered |= _held(s)
        if len(chosen) >= MAX_SENTENCES:
            break
    return chosen[:MAX_SENTENCES]


def _with_antecedents(candidates: Sequence[str], picked: Sequence[int]) -> list[int]:
    """The picked sentence positions, each that leans on the sentence before it preceded by that one."""
    out: list[int] = []
    for i in picked:
        if i > 0 and i - 1 not in out and _ANAPHOR.match(candidates[i].lstrip("«\"( ")):
            out.append(i - 1)
        if i not in out:
            out.append(i)
    return out


def compose(lang: str, picked: Sequence[tuple[str, int]], passages_language: str = "fr") -> str:
    """The reply's body: the sentences, each run of one document's sentences followed by its marker;
    an English visitor is told the passages are in French."""
    parts: list[str] = []
    for i, (sentence, marker) in enumerate(picked):
        body = sentence.rstrip()
        last_of_run = i + 1 == len(picked) or picked[i + 1][1] != marker
        if not last_of_run:
            parts.append(body if body[-1:] in ".!?…" else body + ".")
            continue
        end = "."
        if body[-1:] in ".!?…":
            body, end = body[:-1].rstrip(), body[-1]
        parts.append(f"{body} [{marker}]{end}")
    joined = " ".join(parts)
    if lang == "en" and passages_language != "en":
        return f"Our information is in French; here is what it says: « {joined} »"
    return joined
