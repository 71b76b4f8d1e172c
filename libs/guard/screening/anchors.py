"""Where a rule's match can start: the literal words every match of its pattern begins with.

A rule whose pattern starts with a choice of words ("(?:show|reveal|print…) …") can only match where
one of those words occurs. `Anchored.search` finds those places with `str.find` (C speed) and tries
the pattern *anchored* there (`pattern.match(text, pos)`: lookbehinds still see the text before), instead
of letting the regex engine try every position of a long message. The verdict is exactly the full
search's: a match exists iff one starts at an occurrence of a first word. Patterns whose first words
cannot be listed (a character class, an optional group that could start anywhere…) or that occur too
often in a text are searched the ordinary way.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

C: Any = importlib.import_module("re._constants")  # sre's parser: private, but the same tree since 3.11
P: Any = importlib.import_module("re._parser")

MAX_PREFIXES = 400
MIN_PREFIX = 2  # shorter first words occur everywhere: not worth anchoring on
MAX_ATTEMPTS = 48  # more occurrences than this in one text: one ordinary search is cheaper
MIN_CHARS = 300  # shorter texts: a plain search is as cheap as finding the anchors
ENABLED = True  # False: every rule searched the ordinary way (the benchmark's baseline)


class _Unknown(Exception):
    pass


def _extend(prefixes: set[str], items: list[tuple[Any, Any]], limit: int) -> tuple[set[str], bool]:
    """Prefixes after the literal start of `items`; True when `items` ended before any non-literal."""
    for index, (op, av) in enumerate(items):
        if all(len(p) >= limit for p in prefixes):
            return prefixes, False
        if op is C.LITERAL:
            prefixes = {p + chr(av) if len(p) < limit else p for p in prefixes}
        elif op is C.SUBPATTERN:
            prefixes, done = _extend(prefixes, list(av[-1]), limit)
            if not done:
                return prefixes, False
        elif op is C.BRANCH:
            out: set[str] = set()
            stopped = False
            for branch in av[1]:
                got, done = _extend(set(prefixes), list(branch), limit)
                out |= got
                stopped |= not done
            prefixes = out
            if len(prefixes) > MAX_PREFIXES:
                raise _Unknown
            if stopped:
                return prefixes, False
        elif op is C.IN and len(av) <= 8 and all(o is C.LITERAL for o, _ in av):
            prefixes = {p + chr(c) if len(p) < limit else p for p in prefixes for _, c in av}
            if len(prefixes) > MAX_PREFIXES:
                raise _Unknown
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] == 0 and av[1] == 1:
            # optional: either it is there (and the rest follows) or the rest starts here
            with_it, done = _extend(set(prefixes), list(av[2]), limit)
            rest = items[index + 1:]
            tail_with = _extend(with_it, rest, limit)[0] if done else with_it
            tail_without, _ = _extend(set(prefixes), rest, limit)
            result = tail_with | tail_without
            if len(result) > MAX_PREFIXES:
                raise _Unknown
            return result, False
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            prefixes, _ = _extend(prefixes, list(av[2]), limit)
            return prefixes, False  # what follows the first repetition is not pinned down
        elif op is C.ASSERT_NOT or (op is C.ASSERT and av[0] < 0) or (
                op is C.AT and av in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY)):
            continue  # a lookbehind, a negative lookahead or \b consumes nothing: the start stays here
        else:
            return prefixes, False
    return prefixes, True


def first_words(pattern: re.Pattern[str], limit: int = 6) -> frozenset[str] | None:
    """The literal strings (up to `limit` characters) every match starts with, or None if unknown."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        prefixes, _ = _extend({""}, list(P.parse(pattern.pattern, pattern.flags)), limit)
    except (_Unknown, RecursionError):
        return None
    if not prefixes or any(len(p) < MIN_PREFIX for p in prefixes):
        return None
    # a prefix that extends another is covered by it
    short = sorted(prefixes, key=len)
    kept: list[str] = []
    for prefix in short:
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return frozenset(kept)


def trigram_positions(text: str) -> dict[str, list[int]]:
    """Every 3-character substring of `text` with the positions it starts at (one pass, shared by the
    prefilter keys and the anchors of every rule run on this text)."""
    index: dict[str, list[int]] = {}
    for at in range(len(text) - 2):
        gram = text[at:at + 3]
        found = index.get(gram)
        if found is None:
            index[gram] = [at]
        else:
            found.append(at)
    return index


class Anchored:
    """`pattern.search(text) is not None`, tried only where the pattern's first words occur."""

    __slots__ = ("by_gram", "pattern", "short", "words")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.words = tuple(sorted(first_words(pattern) or ()))
        grams: dict[str, list[str]] = {}
        for word in self.words:
            if len(word) >= 3:
                grams.setdefault(word[:3], []).append(word)
        self.by_gram = tuple((gram, tuple(words)) for gram, words in grams.items())
        self.short = tuple(word for word in self.words if len(word) < 3)

    def search(self, text: str, index: dict[str, list[int]] | None = None) -> bool:
        if not self.words or not ENABLED or len(text) < MIN_CHARS:
            return self.pattern.search(text) is not None
        positions: set[int] = set()
        if index is None:
            for word in self.words:
                at = text.find(word)
                while at >= 0:
                    positions.add(at)
                    at = text.find(word, at + 1)
        else:
            get, startswith = index.get, text.startswith
            for gram, words in self.by_gram:
                found = get(gram)
                if found is not None:
                    for word in words:
                        positions.update(found if len(word) == 3 else [at for at in found if startswith(word, at)])
                    if len(positions) > MAX_ATTEMPTS:
                        return self.pattern.search(text) is not None
            for word in self.short:
                at = text.find(word)
                while at >= 0:
                    positions.add(at)
                    at = text.find(word, at + 1)
        if len(positions) > MAX_ATTEMPTS:
            return self.pattern.search(text) is not None
        match = self.pattern.match
        return any(match(text, at) is not None for at in sorted(positions))
