"""The learned screen that runs beside the rules: hashed n-grams → logistic regression (numpy only).

Rules see the phrasings someone wrote down; the model sees what attacks *look like* — character
3–5-grams survive paraphrase, typos and inflection across French, English, Spanish, German and
Italian; word uni/bigrams carry the intent ("now you are", "new task"). Both are taken over the same
folded text the rules match (`normalise(text).text`), so look-alikes, accents and invisible
characters are undone before the model sees anything.

The weights (`screening_model.npz`, beside this file) are rebuilt deterministically by
`scripts/train_screening_model.py`. Hashing is a fixed polynomial over code points in numpy (never
Python's salted `hash`), so a feature maps to the same slot in every process.
"""

from __future__ import annotations

import itertools
import re
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from libs.common.errors import ConfigurationError
from libs.guard.normalise import code_points

DEFAULT_PATH = Path(__file__).with_name("screening_model.npz")
CHAR_ORDERS = (3, 4, 5)
HEAD_CHARS, TAIL_CHARS = 3000, 1000  # longer texts: the head and the tail are scored (bounded cost)
SHORT_FEATURES = 48  # below this many n-grams (about 14 characters) the evidence is thin: scaled down
MAX_SEGMENTS = 6  # pasted documents: at most this many sentence windows are scored besides the whole text
SEGMENT_MIN_CHARS = 24

_PRIME = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_WORD_SEED = np.uint64(0x51ED270B)
_BIGRAM_MUL = np.uint64(0x100000001B3)
_WORD = re.compile(r"\w+")
with np.errstate(over="ignore"):  # order·P^order, wrapping: the seed term of an n-gram's hash
    _SEEDS = {order: np.uint64(order) * _PRIME ** np.uint64(order) for order in CHAR_ORDERS}
# Sentence ends, line breaks and the quotes / brackets that wrap a pasted document or a planted note:
# r"(?<=[.!?;])\s+|\n+|\s*[Q]+\s*|\s+-{2,}\s+|\s+[-–—]\s+", written to start with the one character class
# every match starts with (whitespace or a quote), so the regex engine skips to those characters (3× faster).
_QUOTES = r"[\"«»“”<>{}\[\]|]"
_SEGMENT_END = re.compile(r"[\s\"«»“”<>{}\[\]|](?:(?<=[.!?;]\s)\s*|(?<=\n)\n*|(?<=\s)\s*" + _QUOTES + r"+\s*|"
                          r"(?<=" + _QUOTES + r")" + _QUOTES + r"*\s*|(?<=\s)\s*-{2,}\s+|(?<=\s)\s*[-–—]\s+)")
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


def _slots(hashes: npt.NDArray[np.uint64], bits: int) -> IntArray:
    mixed = hashes * _MIX  # multiplicative hashing: the top bits are the well-mixed ones
    return (mixed >> np.uint64(64 - bits)).astype(np.int64)


def _char_hashes(text: str) -> npt.NDArray[np.uint64]:
    """Hash of each character n-gram: order·P^n + Σ c_j·P^(n-1-j) (mod 2^64). The unseeded rolling sums of
    order n extend those of order n-1 by one multiply-add, so all orders share one pass."""
    codes = code_points(" " + text + " ").astype(np.uint64)
    parts = []
    rolling = codes
    for order in range(2, max(CHAR_ORDERS) + 1):
        if codes.size < order:
            break
        rolling = rolling[:-1] * _PRIME + codes[order - 1 :]
        if order in CHAR_ORDERS:
            parts.append(rolling + _SEEDS[order])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def _word_codes(text: str) -> npt.NDArray[np.uint64]:
    """The CRC-32 of each word, in order."""
    return np.fromiter(map(zlib.crc32, map(str.encode, _WORD.findall(text))), dtype=np.uint64)


def _word_hashes(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    unigrams = words ^ _WORD_SEED
    bigrams = (words[:-1] * _BIGRAM_MUL + words[1:] + np.uint64(7)) if words.size > 1 else words[:0]
    return np.concatenate([unigrams, bigrams])


def clip(text: str) -> str:
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return text[:HEAD_CHARS] + " " + text[-TAIL_CHARS:]


def _all_slots(folded: str, bits: int, words: npt.NDArray[np.uint64] | None = None) -> IntArray:
    """`words`: the word codes of `folded`, when known (then `folded` is already clipped)."""
    if words is None:
        folded = clip(folded)
        words = _word_codes(folded)
    with np.errstate(over="ignore"):  # wrap-around is the hash
        return _slots(np.concatenate([_char_hashes(folded), _word_hashes(words)]), bits)


def _distinct(slots: IntArray, bits: int) -> IntArray:
    """`np.unique(slots)`: one sort and a mask, about ten times faster than numpy's hash-based unique on
    the ~13,000 slots of a 4,000-character text; sorted as 16-bit numbers when they fit (twice as fast)."""
    ordered = np.sort(slots.astype(np.uint16) if bits <= 16 else slots)
    keep = np.empty(ordered.size, dtype=bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep].astype(np.int64)


def features(folded: str, bits: int) -> IntArray:
    """Sorted distinct feature slots of a folded text (binary bag of hashed n-grams)."""
    return _distinct(_all_slots(folded, bits), bits)


def row_scale(n_features: int) -> float:
    """Weight of each feature of a text with `n_features` distinct n-grams: L2 normalisation, shrunk
    for very short texts so that one word ("Bonjour", "Stop") cannot carry a verdict by itself."""
    if n_features <= 0:
        return 0.0
    return min(1.0, n_features / SHORT_FEATURES) / float(np.sqrt(n_features))


class HashedModel:
    """Logistic regression over L2-normalised binary hashed n-grams. `score(folded) → P(attack)`."""

    def __init__(self, weights: FloatArray, bias: float, bits: int) -> None:
        if weights.shape != (1 << bits,):
            raise ConfigurationError(f"screening model: {weights.shape[0]} weights for {bits} hash bits")
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)
        self.bits = bits

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> HashedModel:
        try:
            with np.load(path) as data:
                return cls(data["weights"].astype(np.float32), float(data["bias"]), int(data["bits"]))
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigurationError(f"cannot load screening model {path}: {exc}") from exc

    def logit(self, folded: str, words: npt.NDArray[np.uint64] | None = None) -> float:
        # the same distinct slots as `features`; summed in float64 so the order does not matter
        slots = _distinct(_all_slots(folded, self.bits, words), self.bits)
        return self.bias + float(self.weights[slots].sum(dtype=np.float64)) * row_scale(int(slots.size))

    def score(self, folded: str) -> float:
        return float(1.0 / (1.0 + np.exp(-np.clip(self.logit(folded), -30.0, 30.0))))

    def score_max(self, folded: str) -> float:
        """The highest probability over the whole text and its sentence windows (see `segments`)."""
        clipped = clip(folded)
        parts = _SEGMENT_END.split(clipped)
        # no separator holds a word character: the words of the text, and of a window, are those of its
        # parts, hashed once
        found = [_WORD.findall(part) for part in parts]
        codes = np.fromiter(map(zlib.crc32, map(str.encode, itertools.chain.from_iterable(found))), dtype=np.uint64)
        ends = list(itertools.accumulate(map(len, found)))
        words = [codes[end - len(part_words):end] for part_words, end in zip(found, ends, strict=True)]
        logits = [self.logit(clipped, codes)]
        for window, joined in _windows(parts, folded, MAX_SEGMENTS):
            if len(window) > HEAD_CHARS + TAIL_CHARS:  # clipped again: its words are not all the parts'
                logits.append(self.logit(window))
            else:
                logits.append(self.logit(window, np.concatenate([words[i] for i in joined])))
        return float(1.0 / (1.0 + np.exp(-np.clip(max(logits), -30.0, 30.0))))


def segments(folded: str, limit: int = MAX_SEGMENTS) -> list[str]:
    """Windows of one or two adjacent sentences of a longer text, for `HashedModel.score_max`: an
    instruction planted in a pasted review or appended to a harmless question is diluted in the whole
    text's bag of n-grams but stands out in its own sentence. Empty for a one-sentence text."""
    return [window for window, _ in _windows(_SEGMENT_END.split(clip(folded)), folded, limit)]


def _windows(parts: list[str], folded: str, limit: int) -> list[tuple[str, tuple[int, ...]]]:
    """`segments` with the indexes of the parts each window joins, longest first."""
    kept = [i for i, part in enumerate(parts) if part and len(part.strip()) >= 3]
    if len(kept) < 2:
        return []
    windows: list[tuple[str, tuple[int, ...]]] = [(parts[i], (i,)) for i in kept if len(parts[i]) >= SEGMENT_MIN_CHARS]
    windows += [(parts[i] + " " + parts[j], (i, j)) for i, j in itertools.pairwise(kept)]
    first: dict[str, tuple[int, ...]] = {}
    for window, joined in windows:
        if window != folded:
            first.setdefault(window, joined)
    return sorted(first.items(), key=lambda item: len(item[0]), reverse=True)[:limit]


@lru_cache(maxsize=1)
def default_model() -> HashedModel:
    """The model shipped in the package, loaded once per process (read-only afterwards)."""
    return HashedModel.load(DEFAULT_PATH)
