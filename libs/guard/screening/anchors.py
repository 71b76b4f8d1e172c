"""Where a rule's match can start, and one pass over a text that finds those places for every rule.

A rule whose pattern starts with a choice of words ("(?:show|reveal|print…) …") can only match where
one of those words occurs. `Anchored.search` tries the pattern *anchored* there (`pattern.match(text, pos)`:
lookbehinds still see the text before), instead of letting the regex engine try every position of a long
message. The verdict is exactly the full search's: a match exists iff one starts at an occurrence of a first
word. A start may also be a line start (`^`) or one punctuation mark (`[.!?:;]\\s*…`). `\\s` is read as a
space, so such a pattern is searched the ordinary way in a text holding another whitespace character (the
folded text never does: see normalise.fold). Patterns whose first words cannot be listed (a character
class, `.`…) or that occur too often in a text are searched the ordinary way.

`Vocabulary` joins the first words of every rule and the rules' prefilter keys into one regex (a trie of
the words, tried at every position by the regex engine), so that `Vocabulary.scan` finds in one pass the
keys present in a text and where each rule may start.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

C: Any = importlib.import_module("re._constants")  # sre's parser: private, but the same tree since 3.11
P: Any = importlib.import_module("re._parser")

MAX_PREFIXES = 1000
MIN_PREFIX = 2  # shorter first words occur everywhere: not worth anchoring on (punctuation marks excepted)
MAX_ATTEMPTS = 160  # more starts than this in one text: one ordinary search is cheaper
MIN_CHARS = 300  # shorter texts: a plain search is as cheap as trying the anchors
ENABLED = True  # False: every rule searched the ordinary way (the benchmark's baseline)
LINE_START = "\x00^"  # a first "word" meaning "where a line starts"; never looked for in a text

_SPACE_CLASS = [(C.CATEGORY, C.CATEGORY_SPACE)]
_LINE_STARTS = (C.AT_BEGINNING, C.AT_BEGINNING_STRING)
_OTHER_SPACE = re.compile(r"[^\S ]")


class _Unknown(Exception):
    pass


class _Reading:
    """What an analysis assumed about the texts: `space` when it read `\\s` as a plain space."""

    def __init__(self) -> None:
        self.space = False


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
        elif op is C.SUBPATTERN:
            ended, open_ = _extend(open_, list(av[-1]), limit, reading)
            closed |= ended
        elif op is C.BRANCH:
            branches = [_extend(open_, list(branch), limit, reading) for branch in av[1]]
            closed = closed.union(*(ended for ended, _ in branches))
            open_ = set().union(*(still for _, still in branches))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            # the first `min` repetitions are always there ("={3,}"); past them the start is either one
            # more repetition or what follows
            low, high, body = av
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


def _worth_anchoring(prefix: str) -> bool:
    if prefix == LINE_START or len(prefix) >= MIN_PREFIX:
        return True
    return len(prefix) == 1 and not prefix.isalnum() and prefix not in " _"


def _first_words(pattern: re.Pattern[str], limit: int) -> tuple[frozenset[str], bool] | None:
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
    # a prefix that extends another is covered by it
    kept: list[str] = []
    for prefix in sorted(prefixes, key=len):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return frozenset(kept), reading.space


def first_words(pattern: re.Pattern[str], limit: int = 6) -> frozenset[str] | None:
    """The literal strings (up to `limit` characters) every match starts with, or None if unknown;
    LINE_START stands for a match that starts where a line does, and `\\s` is read as a space."""
    found = _first_words(pattern, limit)
    return None if found is None else found[0]


class Anchored:
    """`pattern.search(text) is not None`, tried only where the pattern's first words occur."""

    __slots__ = ("chars", "line_start", "pattern", "space", "words")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        found = _first_words(pattern, 6)
        starts, self.space = found if found is not None else (frozenset(), False)
        self.line_start = LINE_START in starts
        self.chars = tuple(sorted(word for word in starts if len(word) == 1))
        self.words = tuple(sorted(word for word in starts if len(word) > 1 and word != LINE_START))

    @property
    def anchorable(self) -> bool:
        return bool(self.words or self.chars or self.line_start)

    def search(self, text: str, scan: Scan | None = None) -> bool:
        """`scan`: `text` scanned by a vocabulary holding this pattern's first words (one per text)."""
        if (scan is None or not self.anchorable or not ENABLED or len(text) < MIN_CHARS
                or (self.space and scan.other_space)):
            return self.pattern.search(text) is not None
        positions = scan.starts(self)
        if positions is None or len(positions) > MAX_ATTEMPTS:
            return self.pattern.search(text) is not None
        match = self.pattern.match
        return any(match(text, at) is not None for at in positions)


def _trie(words: Iterable[str]) -> str:
    """A regex matching the longest of `words` that starts at a position (greedy optional endings)."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return emit(root)


class Vocabulary:
    """The first words of many anchored patterns and the prefilter keys of their rules, found in a text in
    one pass: the regex engine tries one trie of all the words at every position (`scan`)."""

    def __init__(self, anchored: Sequence[Anchored], keys: Iterable[str]) -> None:
        self.slots = {anchor: slot for slot, anchor in enumerate(anchored)}
        keys = set(keys)
        self.single_keys = tuple(sorted(key for key in keys if len(key) == 1))  # `in` finds these faster
        words = {word for anchor in anchored for word in anchor.words} | {key for key in keys if len(key) > 1}
        self.regex = re.compile("(?=(" + _trie(words) + "))")
        owners: dict[str, list[int]] = {}
        for slot, anchor in enumerate(anchored):
            for word in anchor.words:
                owners.setdefault(word, []).append(slot)
        # the longest word found at a position stands for all its prefixes in the vocabulary
        prefixes = {word: [word[:n] for n in range(1, len(word) + 1)] for word in words}
        self.keys_in = {word: frozenset(p for p in prefixes[word] if p in keys) for word in words}
        self.slots_in = {word: tuple(slot for p in prefixes[word] for slot in owners.get(p, ())) for word in words}

    def scan(self, text: str) -> Scan:
        return Scan(self, text)


class Scan:
    """Where the vocabulary's words occur in one text; the keys present and each pattern's starts."""

    __slots__ = ("_chars", "_found", "_other_space", "_present", "_starts", "text", "vocabulary")

    def __init__(self, vocabulary: Vocabulary, text: str) -> None:
        self.vocabulary, self.text = vocabulary, text
        found: dict[str, list[int]] = {}
        for match in vocabulary.regex.finditer(text):
            word = match.group(1)
            at = found.get(word)
            if at is None:
                found[word] = [match.start()]
            else:
                at.append(match.start())
        self._found = found
        self._present: frozenset[str] | None = None
        self._starts: dict[int, list[int]] | None = None
        self._chars: dict[str, list[int]] = {}
        self._other_space: bool | None = None

    @property
    def present(self) -> frozenset[str]:
        """The prefilter keys that occur in the text."""
        if self._present is None:
            keys_in = self.vocabulary.keys_in
            self._present = frozenset().union(*(keys_in[word] for word in self._found),
                                              (key for key in self.vocabulary.single_keys if key in self.text))
        return self._present

    @property
    def other_space(self) -> bool:
        """Whether the text holds whitespace other than plain spaces (where `\\s` was read as a space)."""
        if self._other_space is None:
            self._other_space = _OTHER_SPACE.search(self.text) is not None
        return self._other_space

    def starts(self, anchor: Anchored) -> list[int] | None:
        """Where `anchor`'s pattern may start in the text (None: not in this vocabulary)."""
        slot = self.vocabulary.slots.get(anchor)
        if slot is None:
            return None
        if self._starts is None:
            self._starts = {}
            slots_in = self.vocabulary.slots_in
            for word, positions in self._found.items():
                for owner in slots_in[word]:
                    self._starts.setdefault(owner, []).extend(positions)
        positions = list(self._starts.get(slot, ()))
        for char in anchor.chars:
            positions += self._occurrences(char)
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
