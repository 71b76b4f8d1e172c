"""Where a rule's match can start, and one pass over a text that finds those places for every rule.

A rule whose pattern starts with a choice of words ("(?:show|reveal|print…) …") can only match where
one of those words occurs. `Anchored.search` tries the pattern *anchored* there (`pattern.match(text, pos)`:
lookbehinds still see the text before), instead of letting the regex engine try every position of a long
message. The verdict is exactly the full search's: a match exists iff one starts at an occurrence of a first
word. A start may also be a line start (`^`) or one punctuation mark (`[.!?:;]\\s*…`). `\\s` is read as a
space and `\\s*` / `\\s+` as at most one, so such a pattern is searched the ordinary way in a text holding
another whitespace character or two spaces in a row (the folded text never does: see normalise.fold). An
alternative that may start anywhere but needs some text ("[a-z0-9]+_key" needs "_key") is left out of the
first words, and the pattern is searched the ordinary way in a text holding that text. Patterns whose
first words cannot be listed (a character class, `.`…) or that occur too often in a text are searched the
ordinary way.

`Vocabulary` holds the first words of every rule and the rules' prefilter keys, so that `Vocabulary.scan`
finds in one pass over a text the keys present and where each rule may start: every substring of 2 to 6
characters is hashed in numpy and looked up in a table of the words' hashes, and only the hits are
compared in Python (a regex trie of the words, tried at every position, cost ~1 ms per 4,000 characters).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from libs.guard.normalise import code_points

C: Any = importlib.import_module("re._constants")  # sre's parser: private, but the same tree since 3.11
P: Any = importlib.import_module("re._parser")

MAX_PREFIXES = 1000
MIN_PREFIX = 2  # shorter first words occur everywhere: not worth anchoring on (punctuation marks excepted)
MAX_ATTEMPTS = 160  # more starts than this in one text: one ordinary search is cheaper
MIN_CHARS = 300  # shorter texts: a plain search is as cheap as trying the anchors
WORD_CHARS = 6  # first words are read up to this length
ENABLED = True  # False: every rule searched the ordinary way (the benchmark's baseline)
LINE_START = "\x00^"  # a first "word" meaning "where a line starts"; never looked for in a text

_SPACE_CLASS = [(C.CATEGORY, C.CATEGORY_SPACE)]
_TABLE_BITS = 21  # ~6,000 words in 2M slots: few substrings hit a slot by chance
_SHIFT = np.uint64(64 - _TABLE_BITS)
_PRIME = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # multiplicative hashing: the top bits are the well-mixed ones
_LENGTH_SEED = np.uint64(0x51ED270B)
_MASK = (1 << 64) - 1
_LINE_STARTS = (C.AT_BEGINNING, C.AT_BEGINNING_STRING)
_OTHER_SPACE = re.compile(r"[^\S ]")  # one character class: the regex engine skips to it


class _Unknown(Exception):
    pass


class _Reading:
    """What an analysis assumed about the texts: `space` when it read `\\s` as one plain space, `guards` the
    strings without one of which the alternatives it left out cannot match."""

    def __init__(self) -> None:
        self.space = False
        self.guards: set[str] = set()


def _required(items: list[tuple[Any, Any]], reading: _Reading) -> frozenset[str] | None:
    """Strings one of which every match of `items` holds, when plain to see: its first literal character
    with the literal text that may follow it ("[a-z0-9]+_(?:key|token)" holds "_key" or "_token")."""
    for index, (op, av) in enumerate(items):
        if op is C.LITERAL:
            try:
                closed, open_ = _extend({chr(av)}, items[index + 1:], WORD_CHARS, reading)
            except _Unknown:
                return frozenset({chr(av)})
            return frozenset(closed | open_)
        if op is C.SUBPATTERN:
            found = _required(list(av[-1]), reading)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            found = _required(list(av[2]), reading)
        else:
            continue
        if found is not None:
            return found
    return None


def _extend(open_: set[str], items: list[tuple[Any, Any]], limit: int,
            reading: _Reading) -> tuple[set[str], set[str]]:
    """The literal starts of matches of `items` after each of `open_`: (closed, open), where `closed` are
    the prefixes some non-literal (or `limit`) ended and `open` those that read all of `items`."""
    closed: set[str] = set()
    for op, av in items:
        closed |= {p for p in open_ if len(p) >= limit}
        open_ = {p for p in open_ if len(p) < limit}
        if not open_:
            break
        if op is C.LITERAL or (op is C.IN and av == _SPACE_CLASS):
            reading.space |= op is C.IN
            char = chr(av) if op is C.LITERAL else " "
            open_ = {p + char for p in open_}
        elif op is C.IN and len(av) <= 8 and all(o is C.LITERAL for o, _ in av):
            open_ = {p + chr(c) for p in open_ for _, c in av}
        elif op is C.SUBPATTERN and not av[1] & re.IGNORECASE:  # "(?i:…)" matches other letters too
            ended, open_ = _extend(open_, list(av[-1]), limit, reading)
            closed |= ended
        elif op is C.BRANCH:
            branches = []
            for branch in av[1]:
                ended, still = _extend(open_, list(branch), limit, reading)
                required = None if all(map(_worth_anchoring, ended)) else _required(list(branch), reading)
                if required is None:
                    branches.append((ended, still))
                else:  # an alternative that may start anywhere: left out while the text lacks `required`
                    reading.guards |= required
            closed = closed.union(*(ended for ended, _ in branches))
            open_ = set().union(*(still for _, still in branches))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            # the first `min` repetitions are always there ("={3,}"); past them the start is either one
            # more repetition or what follows
            low, high, body = av
            if list(body) == [(C.IN, _SPACE_CLASS)]:
                reading.space = True  # in a text whose spaces are single, "\s*" is " ?" and "\s+" is " "
                high = min(high, max(low, 1))
            for _ in range(min(low, limit)):
                ended, open_ = _extend(open_, list(body), limit, reading)
                closed |= ended
            if high > low:
                ended, more = _extend(open_, list(body), limit, reading)
                closed |= ended | (more if high > low + 1 else set())
                open_ = open_ | (more if high == low + 1 else set())
            if low > limit:
                closed |= open_
                open_ = set()
        elif op is C.AT and av in _LINE_STARTS:
            # nothing read yet: the match starts where a line starts
            closed |= {LINE_START if p == "" else p for p in open_}
            open_ = set()
        elif op is C.ASSERT_NOT or (op is C.ASSERT and av[0] < 0) or (
                op is C.AT and av in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY)):
            continue  # a lookbehind, a negative lookahead or \b consumes nothing: the start stays here
        else:
            closed |= open_
            open_ = set()
        if len(closed) + len(open_) > MAX_PREFIXES:
            raise _Unknown
    return closed, open_


class _Unbounded(Exception):
    pass


def _lead(items: list[tuple[Any, Any]], reading: _Reading) -> tuple[str, int] | None:
    """The first literal character every match of `items` holds (the one `_required` starts from) and the
    most characters a match holds before it, when bounded ("\\b\\w{1,12}\\s*=" → ("=", 13), `\\s` read
    as a space and `\\s*` / `\\s+` as at most one, recorded in `reading.space`)."""
    width = 0
    for op, av in items:
        if op is C.LITERAL:
            return chr(av), width
        inner = None
        if op is C.SUBPATTERN and not av[1] & re.IGNORECASE:
            inner = _lead(list(av[-1]), reading)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            inner = _lead(list(av[2]), reading)  # the first repetition holds it
        if inner is not None:
            return inner[0], width + inner[1]
        try:
            width += _most(op, av, reading)
        except _Unbounded:
            return None
    return None


def _most(op: Any, av: Any, reading: _Reading) -> int:
    """The most characters one item of a parsed pattern matches (raises _Unbounded)."""
    if op in (C.LITERAL, C.NOT_LITERAL, C.IN, C.ANY):
        return 1
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return 0  # consumes nothing
    if op is C.SUBPATTERN:
        return sum(_most(o, a, reading) for o, a in av[-1])
    if op is C.BRANCH:
        return max(sum(_most(o, a, reading) for o, a in branch) for branch in av[1])
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        low, high, body = av
        if list(body) == [(C.IN, _SPACE_CLASS)]:
            reading.space = True
            high = min(high, max(low, 1))
        if high >= C.MAXREPEAT:
            raise _Unbounded
        return int(high) * sum(_most(o, a, reading) for o, a in body)
    raise _Unbounded


def _worth_anchoring(prefix: str) -> bool:
    if prefix == LINE_START or len(prefix) >= MIN_PREFIX:
        return True
    return len(prefix) == 1 and not prefix.isalnum() and prefix not in " _"


def _first_words(pattern: re.Pattern[str], limit: int) -> tuple[frozenset[str], _Reading] | None:
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    reading = _Reading()
    try:
        closed, open_ = _extend({""}, list(P.parse(pattern.pattern, pattern.flags)), limit, reading)
    except (_Unknown, RecursionError):
        return None
    prefixes = closed | open_
    if not prefixes or not all(map(_worth_anchoring, prefixes)):
        return None
    # a prefix that extends another is covered by it; in sorted order those extensions follow it
    kept: list[str] = []
    for prefix in sorted(prefixes):
        if not kept or not prefix.startswith(kept[-1]):
            kept.append(prefix)
    return frozenset(kept), reading


def first_words(pattern: re.Pattern[str], limit: int = 6) -> frozenset[str] | None:
    """The literal strings (up to `limit` characters) every match starts with, or None if unknown;
    LINE_START stands for a match that starts where a line does, and `\\s` is read as a space."""
    found = _first_words(pattern, limit)
    return None if found is None else found[0]


class Anchored:
    """`pattern.search(text) is not None`, tried only where the pattern's first words occur."""

    __slots__ = ("chars", "guards", "lead", "lead_space", "line_start", "needs", "pattern", "space", "words")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        found = _first_words(pattern, WORD_CHARS)
        starts, reading = found if found is not None else (frozenset(), _Reading())
        self.needs: tuple[str, ...] = ()
        self.lead: tuple[str, int] | None = None
        self.lead_space = False
        if found is None:  # no first words: but a string every match holds still rules most texts out
            parsed = list(P.parse(pattern.pattern, pattern.flags))
            required = _required(parsed, reading)
            self.needs = _shortest(required | reading.guards) if required else ()
            reading.guards = set()
            # …and a character every match holds a bounded way in gives the places it may start
            leading = _Reading()
            self.lead = _lead(parsed, leading) if not pattern.flags & re.IGNORECASE else None
            self.lead_space = leading.space
        self.space = reading.space
        self.guards = _shortest(reading.guards)
        self.line_start = LINE_START in starts
        self.chars = tuple(sorted(word for word in starts if len(word) == 1))
        self.words = tuple(sorted(word for word in starts if len(word) > 1 and word != LINE_START))

    @property
    def anchorable(self) -> bool:
        return bool(self.words or self.chars or self.line_start)

    def search(self, text: str, scan: Scan | None = None) -> bool:
        """`scan`: `text` scanned by a vocabulary holding this pattern's first words (one per text)."""
        if self.needs and not any(n in text for n in self.needs) and not (self.space and _other_space(text)):
            return False
        if self.lead is not None and ENABLED and len(text) >= MIN_CHARS and not (
                self.lead_space and (scan.other_space if scan is not None else _other_space(text))):
            return self._search_before(text, *self.lead)
        if (scan is None or not scan.anchoring or not self.anchorable or (self.space and scan.other_space)
                or (self.guards and any(g in text for g in self.guards))):
            return self.pattern.search(text) is not None
        positions = scan.starts(self)
        if positions is None or len(positions) > MAX_ATTEMPTS:
            return self.pattern.search(text) is not None
        if not positions:  # the usual case once the keys matched
            return False
        match = self.pattern.match
        return any(match(text, at) is not None for at in positions)


    def _search_before(self, text: str, char: str, lead: int) -> bool:
        """A match holds `char` at most `lead` characters in: it starts at most that far before an
        occurrence of `char`, and after the first one."""
        occurrences = _occurrences(text, char, MAX_ATTEMPTS + 1)
        if not occurrences:
            return False
        positions = sorted({start for at in occurrences for start in range(max(at - lead, 0), at + 1)})
        if len(positions) > MAX_ATTEMPTS:  # (so are they when the occurrences were cut short)
            return self.pattern.search(text, max(occurrences[0] - lead, 0)) is not None
        match = self.pattern.match
        return any(match(text, at) is not None for at in positions)


def _occurrences(text: str, char: str, limit: int) -> list[int]:
    """Where `char` occurs in `text`, the first `limit` places."""
    found: list[int] = []
    at = text.find(char)
    while at >= 0 and len(found) < limit:
        found.append(at)
        at = text.find(char, at + 1)
    return found


def _shortest(strings: Iterable[str]) -> tuple[str, ...]:
    """`strings` without those holding another: wherever one of them occurs, the shorter one does too."""
    pool = set(strings)
    return tuple(sorted(s for s in pool if not any(o != s and o in s for o in pool)))


def _other_space(text: str) -> bool:
    """Whitespace other than single plain spaces, where `\\s` was read as one space."""
    return "  " in text or _OTHER_SPACE.search(text) is not None


def _hash_slot(text: str) -> int:
    """The table slot of `text` (2 to WORD_CHARS characters), as `Scan` computes it for every substring."""
    value = 0
    for char in text:
        value = (value * int(_PRIME) + ord(char)) & _MASK
    return (((value + len(text) * int(_LENGTH_SEED)) & _MASK) * int(_MIX) & _MASK) >> (64 - _TABLE_BITS)


class Vocabulary:
    """The first words of many anchored patterns and the prefilter keys of their rules, found in a text in
    one pass (`scan`): every substring of 2 to WORD_CHARS characters is hashed in numpy and looked up in
    a table of the words' hashes, and only the hits are compared in Python (keys longer than WORD_CHARS
    are compared where their first WORD_CHARS characters occur)."""

    def __init__(self, anchored: Sequence[Anchored], keys: Iterable[str]) -> None:
        self.slots = {anchor: slot for slot, anchor in enumerate(anchored)}
        self.keys = frozenset(keys)
        self.single_keys = tuple(sorted(key for key in self.keys if len(key) == 1))  # `in` finds these faster
        self.words = frozenset({word for anchor in anchored for word in anchor.words}
                               | {key for key in self.keys if len(key) > 1})
        self.longer: dict[str, tuple[str, ...]] = {}
        probes: set[str] = set()
        for word in sorted(self.words):
            probe = word[:WORD_CHARS]
            probes.add(probe)
            if len(word) > WORD_CHARS:
                self.longer[probe] = (*self.longer.get(probe, ()), word)
        self.table = np.zeros(1 << _TABLE_BITS, dtype=bool)
        # per length, per slot: (probe, whether it is a word itself, the longer words it starts)
        self.buckets: list[dict[int, tuple[tuple[str, bool, tuple[str, ...]], ...]]] = [
            {} for _ in range(WORD_CHARS + 1)]
        for probe in sorted(probes):
            slot = _hash_slot(probe)
            self.table[slot] = True
            entry = (probe, probe in self.words, self.longer.get(probe, ()))
            self.buckets[len(probe)][slot] = (*self.buckets[len(probe)].get(slot, ()), entry)
        owners: dict[str, list[int]] = {}
        for slot, anchor in enumerate(anchored):
            for word in anchor.words:
                owners.setdefault(word, []).append(slot)
        self.owners = {word: tuple(slots) for word, slots in owners.items()}

    def scan(self, text: str) -> Scan:
        return Scan(self, text)


class Scan:
    """Where the vocabulary's words occur in one text; the keys present and each pattern's starts."""

    __slots__ = ("_chars", "_found", "_other_space", "_starts", "anchoring", "present", "text", "vocabulary")

    def __init__(self, vocabulary: Vocabulary, text: str) -> None:
        self.vocabulary, self.text = vocabulary, text
        self._found = self._find(vocabulary, text)
        # the prefilter keys that occur in the text
        self.present = frozenset([*(word for word in self._found if word in vocabulary.keys),
                                  *(key for key in vocabulary.single_keys if key in text)])
        self.anchoring = ENABLED and len(text) >= MIN_CHARS
        self._starts: dict[int, list[int]] | None = None
        self._chars: dict[str, list[int]] = {}
        self._other_space: bool | None = None

    @staticmethod
    def _find(vocabulary: Vocabulary, text: str) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        codes = code_points(text).astype(np.uint64)
        rolling, startswith = codes, text.startswith
        with np.errstate(over="ignore"):  # wrap-around is the hash
            for length in range(2, min(WORD_CHARS, codes.size) + 1):
                rolling = rolling[:-1] * _PRIME + codes[length - 1:]
                slots = (((rolling + np.uint64(length) * _LENGTH_SEED) * _MIX) >> _SHIFT).astype(np.intp)
                hits = np.flatnonzero(vocabulary.table[slots])
                buckets = vocabulary.buckets[length]
                for at, slot in zip(hits.tolist(), slots[hits].tolist(), strict=True):
                    for probe, is_word, longer in buckets.get(slot, ()):  # other lengths share the table
                        if not startswith(probe, at):
                            continue
                        if is_word:
                            found.setdefault(probe, []).append(at)
                        for word in longer:
                            if startswith(word, at):
                                found.setdefault(word, []).append(at)
        return found

    @property
    def other_space(self) -> bool:
        """Whether the text holds whitespace other than single plain spaces (where `\\s` was read as one
        space)."""
        if self._other_space is None:
            self._other_space = _other_space(self.text)
        return self._other_space

    def starts(self, anchor: Anchored) -> list[int] | None:
        """Where `anchor`'s pattern may start in the text (None: not in this vocabulary); not to be modified."""
        slot = self.vocabulary.slots.get(anchor)
        if slot is None:
            return None
        if self._starts is None:
            self._starts = {}
            owners = self.vocabulary.owners
            for word, positions in self._found.items():
                for owner in owners.get(word, ()):
                    self._starts.setdefault(owner, []).extend(positions)
        positions = self._starts.get(slot, [])
        if anchor.chars or anchor.line_start:
            positions = [*positions, *(at for char in anchor.chars for at in self._occurrences(char))]
            if anchor.line_start:
                positions += [0, *(at + 1 for at in self._occurrences("\n"))]
        return positions

    def _occurrences(self, char: str) -> list[int]:
        found = self._chars.get(char)
        if found is None:
            found, at = [], self.text.find(char)
            while at >= 0:
                found.append(at)
                at = self.text.find(char, at + 1)
            self._chars[char] = found
        return found
