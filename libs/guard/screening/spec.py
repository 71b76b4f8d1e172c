"""The one spec type of the rule table, and the compiled rule it becomes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from libs.common.events.security import IncidentType
from libs.guard.screening.anchors import Anchored, Scan


@dataclass(frozen=True)
class RuleSpec:
    """A screening rule as written: `pattern` (a regex over folded text) runs only when one of `keys`
    (cheap substrings) is present; `weight` is the chance the message is an attack when it fires
    (the screener combines weights as a noisy-or: 0.5 flags alone, 0.85 blocks alone by default)."""

    name: str
    keys: tuple[str, ...]
    type: IncidentType
    weight: float
    pattern: str

    def compile(self, flags: int = 0) -> Rule:
        return Rule(self.name, self.keys, self.type, self.weight, re.compile(self.pattern, flags))


@dataclass(frozen=True)
class Rule:
    name: str
    keys: tuple[str, ...]  # the pattern runs only when one of these substrings is present (cheap prefilter)
    type: IncidentType
    weight: float
    pattern: re.Pattern[str]
    anchor: Anchored = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchor", Anchored(self.pattern))

    def search(self, text: str, scan: Scan | None = None) -> bool:
        """`scan`: `text` scanned once for all rules (rules.VOCABULARY.scan): the prefilter keys present
        and where the pattern may start."""
        if self.keys:
            if scan is not None:
                if scan.present.isdisjoint(self.keys):
                    return False
            elif not any(key in text for key in self.keys):
                return False
        return self.anchor.search(text, scan)
