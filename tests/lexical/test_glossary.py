"""The English shop vocabulary rendered in French (libs.lexical.glossary)."""

from __future__ import annotations

import pytest

from libs.lexical.glossary import to_french


@pytest.mark.parametrize(("english", "french"), [
    ("Do you ship to Switzerland?", "livraison livrer expédition suisse"),
    ("How much are the shipping costs?", "prix frais de port livraison"),  # the phrase before its words
    ("Is the Opale pendant dimmable?", "Opale suspension variateur"),  # a name is kept as it is
    ("WHERE is my PARCEL", "colis"),  # case folded; English stop words go
    ("I changed my mind", "rétractation"),
])
def test_english_words_and_phrases_become_the_pages_french(english: str, french: str) -> None:
    assert to_french(english) == french


def test_unknown_words_and_empty_text_pass_through() -> None:
    assert to_french("Hamlet Shakespeare") == "Hamlet Shakespeare"
    assert to_french("") == ""
    assert to_french("l'étranger ?") == "l'étranger"


def test_names_only_keeps_the_names_and_drops_other_english_words() -> None:
    assert to_french("Which payment methods do you accept?", names_only=True) == "paiement payer"
    assert to_french("Do you accept PayPal for the Opale E27?", names_only=True) == "PayPal Opale E27"
    assert to_french("Bake sourdough bread", names_only=True) == ""  # nothing a French page could hold
    assert to_french("Which payment methods do you accept?") == "paiement payer methods accept"
