"""The turn's routing policy on its own: plain values in, a route out (services/chat/policy.py)."""

from __future__ import annotations

from dataclasses import replace

from services.chat.policy import RULES, Route, Situation, fallback, route

CALM = Situation(turns=3, max_turns=50, intents=frozenset(), relevant=True, small_talk=False, topic_lock=False,
                 off_topic_streak=0, topic_lock_turns=3, unknown_streak=0)


def test_a_relevant_question_goes_to_the_llm() -> None:
    assert route(CALM) == Route("llm")


def test_the_turn_limit_comes_first_and_is_not_weighed() -> None:
    decided = route(replace(CALM, turns=50, intents=frozenset({"handoff"})))
    assert decided == Route("canned", "max_turns", "limit", weighed=False)


def test_a_visitor_asking_for_a_human_is_handed_off_even_with_the_llm_down() -> None:
    decided = route(replace(CALM, intents=frozenset({"handoff"}), llm_unavailable="kill_switch"))
    assert decided == Route("handoff", "visitor_asked")


def test_the_topic_lock_answers_after_its_streak_of_off_topic_messages() -> None:
    off_topic = replace(CALM, relevant=False, topic_lock=True, off_topic_streak=3)
    assert off_topic.off_topic and off_topic.locked
    assert route(off_topic) == Route("canned", "topic_lock", "topic")
    assert route(replace(off_topic, off_topic_streak=2)).action == "llm"  # not yet
    assert route(replace(off_topic, topic_lock=False)).action != "canned"  # flag off: no lock


def test_an_assistant_stuck_on_shop_subjects_hands_off() -> None:
    stuck = replace(CALM, relevant=False, intents=frozenset({"shipping"}), unknown_streak=2)
    assert not stuck.off_topic  # a shop intent: the topic lock is not concerned
    assert route(stuck) == Route("handoff", "assistant_stuck")
    assert route(replace(stuck, unknown_streak=1)).action == "llm"
    assert route(replace(stuck, small_talk=True)).action == "llm"  # small talk is never "stuck"
    locked = replace(stuck, intents=frozenset(), topic_lock=True, off_topic_streak=0)
    assert route(locked).action == "llm"  # off-topic under the lock: the lock's business, not a handoff


def test_without_the_llm_small_talk_gets_a_greeting_and_questions_a_grounded_answer() -> None:
    assert route(replace(CALM, llm_unavailable="breaker_open")) == Route("grounded", "breaker_open")
    assert route(replace(CALM, small_talk=True, llm_unavailable="not_configured")) == Route(
        "greeting", "not_configured")


def test_after_an_llm_failure_the_answer_falls_back_with_the_reason() -> None:
    assert fallback(CALM, "llm_error") == Route("grounded", "llm_error")
    assert fallback(replace(CALM, small_talk=True), "llm_error") == Route("greeting", "llm_error")


def test_a_new_rule_takes_its_place_in_the_order() -> None:
    def quote_intent(s: Situation) -> Route | None:
        return Route("canned", "quote", "quote") if "quote" in s.intents else None

    rules = (*RULES[:1], quote_intent, *RULES[1:])
    assert route(replace(CALM, intents=frozenset({"quote"})), rules) == Route("canned", "quote", "quote")
    assert route(replace(CALM, turns=50, intents=frozenset({"quote"})), rules).reason == "max_turns"
    assert route(CALM, rules) == Route("llm")
