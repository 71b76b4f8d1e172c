"""How a turn is answered: a pure routing policy (no I/O), tested on its own (tests/chat/test_policy.py).

The turn describes what it knows as a `Situation`; `route()` runs the `RULES` in order and the
first that answers decides the `Route`. To add a route (a human holds the conversation, a quote
intent, a grounded answer...): add what it needs to `Situation`, write a rule
`def my_rule(s: Situation) -> Route | None`, put it in `RULES` at its place, and handle its action
in services/chat/turn.py (`Turn._answer_for`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

# Two answers in a row without knowledge, and a third coming: hand off rather than loop.
STUCK_AFTER = 2
SHOP_INTENTS = frozenset({"quote", "purchase", "pricing", "shipping", "returns", "availability", "handoff"})

Action = Literal["canned", "handoff", "llm", "grounded", "greeting", "catalogue", "human"]


@dataclass(frozen=True, kw_only=True)
class Situation:
    """What the turn knows when it decides, all plain values."""

    turns: int  # exchanges already in the session
    max_turns: int
    intents: frozenset[str]
    relevant: bool  # the search found knowledge relevant to the message
    small_talk: bool
    topic_lock: bool  # the runtime flag
    off_topic_streak: int
    topic_lock_turns: int
    unknown_streak: int
    llm_unavailable: str | None = None  # why the LLM cannot be asked: kill_switch, not_configured, breaker_open
    # the message asks for a quote or availability of catalogue products it names: without an LLM,
    # services/chat/quote_turn.py answers it (with one, the LLM gets the products and its quote tool)
    catalogue_request: bool = False
    # the message answers the question a quote left open ("200 g ou 400 g ?"): quote_turn completes it
    quote_question_answered: bool = False

    @property
    def off_topic(self) -> bool:
        return not self.relevant and not self.small_talk and not (SHOP_INTENTS & self.intents)

    @property
    def locked(self) -> bool:
        return self.topic_lock and self.off_topic


@dataclass(frozen=True)
class Route:
    action: Action
    reason: str | None = None  # the reply's fallback_reason (for a handoff: why it hands off)
    text: str | None = None  # a canned reply's text key (services/chat/fallback.py)
    # False: decided before the message was weighed, so it does not count toward the off-topic streak
    weighed: bool = True


Rule = Callable[[Situation], Route | None]


def max_turns(s: Situation) -> Route | None:
    return Route("canned", "max_turns", "limit", weighed=False) if s.turns >= s.max_turns else None


def visitor_asks_for_a_human(s: Situation) -> Route | None:
    return Route("handoff", "visitor_asked") if "handoff" in s.intents else None


def topic_lock(s: Situation) -> Route | None:
    return Route("canned", "topic_lock", "topic") if s.locked and s.off_topic_streak >= s.topic_lock_turns else None


def assistant_stuck(s: Situation) -> Route | None:
    # off-topic questions are the topic lock's business; a stuck assistant is one that keeps
    # failing on the shop's own subjects
    stuck = not s.relevant and not s.small_talk and not s.locked and s.unknown_streak >= STUCK_AFTER
    return Route("handoff", "assistant_stuck") if stuck else None


def catalogue_request(s: Situation) -> Route | None:
    grounded = s.catalogue_request and s.llm_unavailable is not None
    return Route("catalogue", s.llm_unavailable) if grounded or s.quote_question_answered else None


def ask_the_llm(s: Situation) -> Route | None:
    return Route("llm") if s.llm_unavailable is None else None


def without_llm(s: Situation) -> Route:
    """The answer when the LLM cannot be asked (or failed: `fallback(s, "llm_error")`)."""
    return Route("greeting" if s.small_talk else "grounded", s.llm_unavailable)


RULES: tuple[Rule, ...] = (max_turns, visitor_asks_for_a_human, topic_lock, catalogue_request, assistant_stuck,
                           ask_the_llm, without_llm)


def before_search(*, human_holds: bool, blocked: bool) -> Route | None:
    """Decided as soon as the session is read, before the search: while an adviser holds the
    conversation (docs/console.md) a visitor's screened message is kept for them and the assistant
    stays silent — no search, no LLM (handled in turn.py with conversations.store_for_human)."""
    return Route("human", "human") if human_holds and not blocked else None


def route(s: Situation, rules: Sequence[Rule] = RULES) -> Route:
    for rule in rules:
        decided = rule(s)
        if decided is not None:
            return decided
    return without_llm(s)


def fallback(s: Situation, reason: str) -> Route:
    """The route after the LLM was asked and failed."""
    return without_llm(replace(s, llm_unavailable=reason))
