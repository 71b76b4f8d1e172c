"""libs.lexical: the analysis shared by indexing and queries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from libs.lexical import analyze, fold, term_frequencies, tokens


def test_elision_is_split_off_and_the_article_dropped() -> None:
    assert tokens("l'article d’un jusqu'à qu'il lorsqu’on") == ["article", "un", "à", "il", "on"]
    assert analyze("L'expédition de l'article") == analyze("expédition article")


def test_accents_case_and_typing_without_accents_give_the_same_terms() -> None:
    assert analyze("EXPÉDIÉE") == analyze("expédiée") == analyze("expediee")
    assert analyze("Noël à l'Œuvre") == ["noel", "oeuvr"]
    assert fold("ça coûte cher, señor") == "ca coute cher, senor"


def test_stop_words_go_and_stems_conflate_inflections() -> None:
    assert analyze("les livraisons de la commande") == analyze("livraison commandes")
    assert analyze("remboursé remboursement") == ["rembours", "rembours"]
    assert analyze("le la les de des du et est vous") == []


def test_english_uses_its_own_stemmer_and_stop_words() -> None:
    assert analyze("How long does the delivery take?", "en") == ["long", "deliveri", "take"]
    assert analyze("deliveries", "en") == analyze("delivery", "en")
    assert analyze("les commandes", "de") == analyze("les commandes", "fr")  # unknown → French


def test_digits_are_kept_and_term_frequencies_count() -> None:
    counts = term_frequencies("Livraison 48 h. Livraison offerte dès 60 €.")
    assert counts["livraison"] == 2 and counts["48"] == 1 and counts["60"] == 1


@given(st.text(max_size=200))
def test_any_text_gives_folded_terms_without_apostrophes(text: str) -> None:
    for term in analyze(text):
        assert term and "'" not in term and term == fold(term)
