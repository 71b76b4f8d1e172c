"""Grounded answers without an LLM: relevance, sentence choice, one citation per document, language."""

from __future__ import annotations

import pytest

from services.chat import grounded
from services.chat.fallback import Chunk, grounded_answer, language_of

DELAIS = Chunk("c1", "Livraison\nDélais de livraison\nLes commandes passées avant 14 h partent le jour même. "
               "La livraison en France prend 2 à 3 jours ouvrés. Nos cartons sont recyclables.",
               "faq", "Délais de livraison", "livraison-delais", 0.5, True)
DELAIS_2 = Chunk("c2", "Pour la Corse, comptez un jour de plus.", "faq", "Délais de livraison",
                 "livraison-delais", 0.45, True)
SUISSE = Chunk("c3", "Pour la Suisse, les droits de douane sont à votre charge.", "faq", "Douane pour la Suisse",
               "suisse-douane", 0.4, True)


def test_the_answer_is_the_sentences_that_answer_with_one_marker_per_document() -> None:
    reply, used = grounded_answer("Combien de jours pour la livraison en Corse ou en Suisse ?", "fr",
                                  [DELAIS, DELAIS_2, SUISSE], [], [])
    first = reply.splitlines()[0]
    assert "2 à 3 jours ouvrés" in first and "cartons" not in first  # the answering sentence, not all
    assert "Délais de livraison" not in reply and not first.startswith("Livraison")  # no title, no heading
    assert [c.doc_id for c in used] == ["livraison-delais", "suisse-douane"]  # one citation per document
    assert first.count("[1]") == 1 and "[2]" in first and "[3]" not in first
    assert reply.rstrip().endswith("personnellement ?")  # an adviser is offered


def test_a_sentence_that_leans_on_the_one_before_comes_with_it() -> None:
    frais = Chunk("c4", "La livraison est offerte dès 80 € d'achat. En dessous de ce montant, les frais de port "
                  "s'élèvent à 5,90 € pour un colis standard. Nos colis partent de Lyon.", "faq", "Frais de port",
                  "livraison-frais", 0.5, True)
    reply, _ = grounded_answer("Combien coûtent les frais de port d'un colis standard ?", "fr", [frais], [], [])
    first = reply.splitlines()[0]
    assert first.startswith("La livraison est offerte dès 80 € d'achat. En dessous de ce montant")  # antecedent
    assert "Lyon" not in first
    assert grounded._with_antecedents(["Un.", "Cette lampe est en lin.", "Trois."], [1, 2]) == [0, 1, 2]
    assert grounded._with_antecedents(["Un.", "Deux.", "Trois."], [2]) == [2]


def test_a_faqs_own_question_is_never_the_answer() -> None:
    faq = Chunk("c5", "Puis-je modifier ma commande après l'avoir validée ? Tant qu'elle n'est pas préparée, "
                "vous pouvez modifier votre commande depuis votre espace client. Passé ce délai, contactez-nous.",
                "faq", "Modifier une commande", "commande-modifier", 0.5, True)
    reply, used = grounded_answer("Puis-je modifier ma commande ?", "fr", [faq], [], [])
    first = reply.splitlines()[0]
    assert first.startswith("Tant qu'elle n'est pas préparée") and "validée ?" not in first
    assert [c.doc_id for c in used] == ["commande-modifier"]
    only_questions = Chunk("c6", "Puis-je modifier ma commande ? Et l'annuler ?", "faq", None, "questions", 0.5, True)
    reply, used = grounded_answer("Puis-je modifier ma commande ?", "fr", [only_questions], [], [])
    assert used == [] and "conseiller" in reply  # nothing that answers: the honest reply


def test_nothing_relevant_is_an_honest_i_dont_know() -> None:
    weak = Chunk("x", "Nos lampes sont garanties cinq ans.", "faq", "Garantie", "garantie", 0.46, False)
    reply, used = grounded_answer("Quelle est la capitale du Japon ?", "fr", [weak], [], [])
    assert used == [] and "je préfère ne pas vous répondre au hasard" in reply and "conseiller" in reply


def test_english_question_gets_the_english_template_around_the_french_passage() -> None:
    reply, used = grounded_answer("How many days for delivery in France?", "en", [DELAIS], [], [])
    assert reply.startswith("Our information is in French; here is what it says: « ")
    assert "[1]" in reply and "adviser" in reply and used == [DELAIS]


@pytest.mark.parametrize(("question", "similarity", "relevant"), [
    ("Quelle est la capitale du Japon ?", 0.46, False),  # the case of the issue: similar, unrelated
    ("Combien de jours pour être livré ?", 0.35, True),  # its words are there
    ("Combien de jours pour être livré ?", 0.1, False),  # words, but far in meaning
    ("Question sans aucun mot commun", 0.65, True),  # a very close passage is answered from anyway
])
def test_relevance_needs_the_question_words_unless_the_passage_is_very_close(
        question: str, similarity: float, relevant: bool) -> None:
    passage = "Délais de livraison\nLa livraison en France prend 2 à 3 jours ouvrés."
    assert grounded.is_relevant(question, passage, similarity) is relevant


@pytest.mark.parametrize(("question", "similarity", "language", "relevant"), [
    ("Do you ship to Switzerland?", 0.12, "fr", True),  # French rendering « livraison … suisse »
    ("Do you ship to Switzerland?", 0.12, "en", False),  # an English page: its own words and cosine
    ("Who wrote Hamlet?", 0.12, "fr", False),  # nothing of it in the page
])
def test_an_english_question_over_a_french_page_is_judged_by_its_french_words(
        question: str, similarity: float, language: str, relevant: bool) -> None:
    passage = "Livraison à l'étranger\nNous livrons la Belgique, la Suisse et l'Italie en 4 à 7 jours."
    assert grounded.is_relevant(question, passage, similarity, passage_language=language) is relevant


def test_the_english_answer_quotes_the_french_sentence_that_answers() -> None:
    passage = Chunk("s", "Nous réparons en atelier. Nous livrons la Belgique, la Suisse et l'Italie en 4 à 7 jours.",
                    "faq", "Livraison à l'étranger", "international", 0.12, True, "fr")
    reply, used = grounded_answer("Do you ship to Switzerland?", "en", [passage], [], [])
    assert used == [passage] and "la Suisse" in reply and "réparons" not in reply
    assert reply.startswith("Our information is in French")


@pytest.mark.parametrize(("text", "locale", "lang"), [
    ("Bonjour, est-ce que vous livrez en Belgique ?", None, "fr"),
    ("Hi, do you ship to Belgium?", None, "en"),
    ("Do you have this lamp in blue?", "fr", "en"),
    ("Avez-vous cette lampe en bleu ?", "en", "fr"),
    ("Opale", "en", "en"),
    ("Opale", None, "fr"),
])
def test_language_by_stop_word_profile(text: str, locale: str | None, lang: str) -> None:
    assert language_of(text, locale) == lang


def test_language_hints_are_in_neither_stop_word_list() -> None:
    """detect_language adds the hints to the stop-word votes: a hint that were a stop word too would
    count twice."""
    from libs.lexical import STOP_WORDS

    for hints in (grounded._FR_HINTS, grounded._EN_HINTS):
        assert not hints & (STOP_WORDS["fr"] | STOP_WORDS["en"])
