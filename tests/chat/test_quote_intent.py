"""Quote and availability requests understood from the message (no LLM), French and English."""

from __future__ import annotations

from typing import Any

from services.chat.quote_intent import Option, answer_choice, kind_of, parse, question, resolve

CATALOGUE: list[dict[str, Any]] = [
    {"id": "file:BA", "name": "Bougie Ambre", "variants": [{"id": "v200", "name": "200 g"},
                                                          {"id": "v400", "name": "400 g"}]},
    {"id": "file:BF", "name": "Bougie Figue", "variants": []},
    {"id": "file:CD", "name": "Coffret découverte", "variants": []},
    {"id": "file:LA", "name": "Lampe Lumière d'Automne", "variants": []},
]


def test_a_french_sentence_names_products_and_quantities_in_digits_and_words() -> None:
    parsed = parse("Je voudrais un devis pour 3 bougies Ambre 400 g et une douzaine de bougies figue")
    assert parsed is not None and parsed.kind == "quote"
    assert [(i.quantity, i.phrase) for i in parsed.items] == [(3, "bougies ambre 400 g"), (12, "bougies figue")]
    found = [resolve(i, CATALOGUE).option for i in parsed.items]
    assert found == [Option("file:BA", "v400", "Bougie Ambre 400 g"), Option("file:BF", None, "Bougie Figue")]


def test_english_words_and_a_missing_variant_ask_which() -> None:
    parsed = parse("I'd like a quote for two amber candles")
    assert parsed is not None and parsed.items[0].quantity == 2
    asked = resolve(parsed.items[0], CATALOGUE)
    assert asked.status == "ambiguous"
    assert question(asked.options, "fr") == "Bougie Ambre 200 g ou 400 g ?"
    assert answer_choice("le 400 g s'il vous plaît", asked.options) == asked.options[1]
    assert answer_choice("la première", asked.options) == asked.options[0]
    assert answer_choice("je ne sais pas", asked.options) is None


def test_two_products_matching_alike_are_asked_between() -> None:
    parsed = parse("je voudrais commander 2 bougies")
    assert parsed is not None
    asked = resolve(parsed.items[0], CATALOGUE)
    assert asked.status == "ambiguous" and [o.label for o in asked.options] == ["Bougie Ambre", "Bougie Figue"]
    assert answer_choice("figue", asked.options) == asked.options[1]


def test_availability_questions_and_unrelated_messages() -> None:
    parsed = parse("Est-ce que la lampe Lumière d'Automne est disponible ?")
    assert parsed is not None and parsed.kind == "availability"
    assert resolve(parsed.items[0], CATALOGUE).option == Option("file:LA", None, "Lampe Lumière d'Automne")
    assert kind_of("Quels sont vos délais de livraison ?") is None
    assert parse("Bonjour !") is None
    unknown = parse("un devis pour 3 tronçonneuses")
    assert unknown is not None and resolve(unknown.items[0], CATALOGUE).status == "unknown"
