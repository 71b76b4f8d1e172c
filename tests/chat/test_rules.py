"""Pure rules of the chat service: extraction, scoring, summary, language, prompt, flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from libs.common.flags import RuntimeFlags
from services.chat import leads, memory
from services.chat.entities import extract, intents_of, sentiment_of
from services.chat.fallback import Chunk, grounded_answer, is_small_talk, language_of, snippet
from services.chat.prompt import PromptParts, build_messages, fill_placeholders, system_message
from services.chat.repo import SessionRow


def _types(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entity in extract(text):
        found.setdefault(entity.type, set()).add(entity.value)
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Je m'appelle Claire Dubois", {"Claire Dubois"}),
        ("Bonjour, moi c'est Léa", {"Léa"}),
        ("My name is John Smith", {"John Smith"}),
        ("I'm Anna.", {"Anna"}),
        ("Je suis intéressé par la lampe", None),
        ("Bonjour je cherche une lampe", None),
    ],
)
def test_names_fr_en(text: str, expected: set[str] | None) -> None:
    assert _types(text).get("name") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("appelez-moi au 06 12 34 56 78", "0612345678"),
        ("mon numéro : +33 6 12 34 56 78", "+33612345678"),
        ("call me at +44 20 7946 0958", "+442079460958"),
        ("06.12.34.56.78", "0612345678"),
    ],
)
def test_phones(text: str, expected: str) -> None:
    assert _types(text)["phone"] == {expected}


@pytest.mark.parametrize("text", ["commande 2024-11-25", "réf 12345", "il coûte 189 €", "0000000000"])
def test_not_phones(text: str) -> None:
    assert "phone" not in _types(text)


def test_email_is_lower_cased() -> None:
    assert _types("écrivez à Marie.Curie@Example.FR svp")["email"] == {"marie.curie@example.fr"}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Je voudrais un devis", "quote"),
        ("Can I get a quote?", "quote"),
        ("Je veux commander deux lampes", "purchase"),
        ("I want to buy it", "purchase"),
        ("Combien coûte la suspension ?", "pricing"),
        ("How much is it?", "pricing"),
        ("Quels délais de livraison ?", "shipping"),
        ("Can I get a refund?", "returns"),
        ("Je veux parler à un conseiller", "handoff"),
        ("Let me talk to a real person", "handoff"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    assert intent in intents_of(text)


def test_complaint_and_sentiment() -> None:
    found = _types("Ma lampe est arrivée cassée, je suis très déçu")
    assert "complaint" in found and found["sentiment"] == {"negative"}
    assert sentiment_of("Merci, c'est parfait !")[0] == "positive"
    assert sentiment_of("Quels horaires ?") == ("neutral", 0.5)


def test_preference_fr_en() -> None:
    assert _types("Je préfère le laiton doré, merci")["preference"] == {"le laiton doré"}
    assert _types("I'm looking for a floor lamp")["preference"] == {"a floor lamp"}


def test_lead_score_components() -> None:
    nobody = leads.Contact()
    full = leads.Contact(email="a@b.fr", phone="0612345678", name="Ana")
    assert leads.score(set(), nobody, 0) == 0
    assert leads.score({"purchase"}, nobody, 0) == 35
    assert leads.score({"purchase", "pricing", "shipping"}, nobody, 0) == 40  # capped
    assert leads.score(set(), full, 0) == 45
    assert leads.score(set(), nobody, 30) == 20  # engagement capped
    assert leads.score({"quote"}, full, 10) == 100
    assert leads.score(set(), leads.Contact(email="a@b.fr"), 1, complaint=True) == 12


def _session(n: int) -> SessionRow:
    session = SessionRow("s")
    for i in range(n):
        memory.append_turn(
            session,
            {"role": "user", "content": f"question {i} " + "x" * 300},
            {"role": "assistant", "content": f"réponse {i}"},
            summary_after=6,
            keep_recent=4,
            summary_max_chars=500,
        )
    return session


def test_summary_folds_old_messages_and_stays_bounded() -> None:
    session = _session(40)
    assert session.message_count == 80 and len(session.messages) == 80
    assert session.summary is not None and len(session.summary) <= 500
    assert "question 37" in session.summary  # the most recent folded message is kept
    recent = memory.recent(session, 4)
    assert len(recent) <= 6 and recent[-1]["content"] == "réponse 39"
    assert memory.turns(session) == 40


def test_a_window_of_the_history_rolls_the_summary_as_the_whole_does() -> None:
    whole = _session(9)
    start = int(whole.metadata["summarized_upto"])
    window = SessionRow("s", messages=whole.messages[start:], summary=whole.summary,
                        message_count=whole.message_count, metadata=dict(whole.metadata),
                        window_start=start, earlier_visitor_messages=start // 2)
    for i in range(9, 14):
        for session in (whole, window):
            rolled = memory.append_turn(session, {"role": "user", "content": f"question {i}"},
                                        {"role": "assistant", "content": f"réponse {i}"},
                                        summary_after=6, keep_recent=4, summary_max_chars=500)
        assert (window.summary, window.metadata, window.message_count) == (whole.summary, whole.metadata,
                                                                           whole.message_count)
        assert memory.recent(window, 4) == memory.recent(whole, 4) and memory.turns(window) == i + 1
    assert rolled and window.messages == whole.messages[start:]


def test_short_conversation_has_no_summary() -> None:
    session = _session(3)
    assert session.summary is None and len(memory.recent(session, 4)) == 4


def test_session_expiry() -> None:
    old = SessionRow("s", exists=True, updated_at=datetime.now(UTC) - timedelta(days=91))
    assert memory.expired(old, 90)
    assert not memory.expired(old, 0)
    assert not memory.expired(SessionRow("s"), 90)


def test_context_update_merges_and_bounds() -> None:
    ctx = None
    for i in range(60):
        ctx = memory.context_update(
            ctx,
            summary=f"résumé {i}",
            entities={"name": ["Ana"]},
            intents=["quote"],
            topics=["Livraison"],
            sentiment=None,
        )
    assert ctx is not None
    assert ctx["key_facts"] == ["name: Ana"] and ctx["entities"]["name"] == ["Ana"]
    assert len(ctx["intent_history"]) == 50 and ctx["summary"] == "résumé 59"
    assert ctx["sentiment"] == "neutral" and ctx["topics"] == ["Livraison"]


@pytest.mark.parametrize(
    ("text", "locale", "lang"),
    [
        ("Quels sont les délais de livraison ?", "en", "fr"),
        ("What is the delivery time for my order?", "fr", "en"),
        ("Opale ?", "en", "en"),
        ("Opale ?", "fr", "fr"),
        ("Opale ?", None, "fr"),
    ],
)
def test_language(text: str, locale: str | None, lang: str) -> None:
    assert language_of(text, locale) == lang


def test_small_talk() -> None:
    assert is_small_talk("Bonjour !") and is_small_talk("thanks a lot")
    assert not is_small_talk("Bonjour, quels sont vos délais de livraison pour la Suisse ?")


def test_grounded_answer_uses_relevant_chunks_only() -> None:
    good = Chunk(
        "1", "Livraison offerte dès 80 €. Délai 2 à 4 jours. Suivi par courriel.", "demo/l.md", "L", None, 0.8, True
    )
    weak = Chunk("2", "Texte sans rapport.", "demo/x.md", None, None, 0.1, False)
    reply, used = grounded_answer("livraison ?", "fr", [good, weak], [], ["shipping"])
    assert used == [good] and reply.startswith("Livraison offerte dès 80 € [1].") and "Texte" not in reply
    unknown, none = grounded_answer("capitale ?", "en", [weak], [], [])
    assert none == [] and unknown.startswith("I can't find this")


def test_grounded_answer_from_facts() -> None:
    facts = [("shipping_policy", "Livraison offerte dès 80 €.", "shipping"), ("currency", "EUR", "general")]
    reply, used = grounded_answer("Quels frais de livraison ?", "fr", [], facts, ["shipping"])
    assert used == [] and "Livraison offerte dès 80 €." in reply and "EUR" not in reply


def test_snippet_cuts_on_sentences() -> None:
    text = "Première phrase. " * 40
    cut = snippet(text, 60)
    assert len(cut) <= 60 and cut.endswith(".")


def test_prompt_fills_placeholders_and_skips_unfilled_facts() -> None:
    facts = [("brand_name", "Maison Lumière", "general"), ("app_name", "[APP_NAME]", "general")]
    assert fill_placeholders("[APP_NAME] de [BRAND_NAME]", {"brand_name": "ML"}) == "[APP_NAME] de ML"
    parts = PromptParts("Tu es [APP_NAME] pour [BRAND_NAME].", facts, RuntimeFlags(), "en")
    system = system_message(parts)
    assert "pour Maison Lumière" in system and "app_name" not in system
    assert "Réponds en anglais" in system and parts.canary in system
    assert "aucun extrait pertinent" in system


def test_prompt_flags_off_drop_their_rules() -> None:
    flags = RuntimeFlags(conversation_guard=False, role_lock=False, topic_lock=False)
    parts = PromptParts(None, [], flags, "fr")
    system = system_message(parts)
    assert parts.canary not in system and "ce rôle" not in system and "sujets de la boutique" not in system


def test_prompt_messages_keep_only_roles() -> None:
    parts = PromptParts(
        None,
        [],
        RuntimeFlags(),
        "fr",
        recent=[{"role": "user", "content": "a", "at": "t"}, {"role": "system", "content": "x"}],
    )
    messages = build_messages(parts, "b")
    assert messages[1:] == [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
