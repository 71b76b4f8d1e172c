"""The human-mode route of the routing policy: decided before the search, never for a blocked message."""

from __future__ import annotations

from services.chat import policy


def test_an_adviser_holding_the_conversation_silences_the_assistant() -> None:
    assert policy.before_search(human_holds=True, blocked=False) == policy.Route("human", "human")


def test_a_blocked_message_is_refused_as_usual_even_when_held() -> None:
    assert policy.before_search(human_holds=True, blocked=True) is None


def test_the_assistant_answers_when_nobody_holds_it() -> None:
    assert policy.before_search(human_holds=False, blocked=False) is None
