"""Quotes from the chat at catalogue prices: grounded mode, a question when ambiguous, stock, the LLM's tool."""

from __future__ import annotations

import json
import uuid

from tests.chat.conftest import ChatHarness
from tests.fakes.llm_server import Step


async def test_a_french_sentence_becomes_a_quote_at_catalogue_prices_without_an_llm(harness: ChatHarness) -> None:
    before = len(harness.state["quotes"])
    reply = await harness.turn("Bonjour, je voudrais un devis pour 2 suspensions Opale et un coffret découverte")
    assert reply.mode == "grounded" and reply.quote is not None
    asked = harness.state["quotes"][before:]
    assert len(asked) == 1 and asked[0].type == "product"
    assert [(li.product_id, li.variant_id, li.quantity, li.unit_price) for li in asked[0].lines] == [
        ("file:OPALE", None, 2, None), ("file:COFFRET", None, 1, None)]  # ids and quantities only
    assert reply.quote.total == "413.00"
    assert [(li["label"], li["quantity"], li["line_total"]) for li in reply.quote.lines] == [
        ("Suspension Opale", 2, "378.00"), ("Coffret découverte", 1, "35.00")]
    assert "413,00 €" in reply.reply and reply.quote.checkout_url == "https://pay.example/q1"


async def test_an_ambiguous_product_is_asked_about_and_the_answer_completes_the_quote(harness: ChatHarness) -> None:
    session = f"s-{uuid.uuid4().hex}"
    asked = await harness.turn("Je voudrais un devis pour trois bougies Ambre", session_id=session)
    assert asked.quote is None and asked.reply == "Bougie Ambre 200 g ou 400 g ?"
    before = len(harness.state["quotes"])
    done = await harness.turn("Le 200 g s'il vous plaît", session_id=session)
    assert done.quote is not None and done.quote.total == "74.70"
    line = harness.state["quotes"][before].lines[0]
    assert (line.product_id, line.variant_id, line.quantity) == ("file:AMBRE", "AMBRE-200", 3)
    again = await harness.turn("Merci, et vos délais de livraison ?", session_id=session)
    assert again.quote is None  # the question was answered: nothing left pending


async def test_an_out_of_stock_variant_is_said_and_not_quoted(harness: ChatHarness) -> None:
    before = len(harness.state["quotes"])
    reply = await harness.turn("Un devis pour 2 bougies Ambre 400 g svp")
    assert reply.quote is None and len(harness.state["quotes"]) == before
    assert "Bougie Ambre 400 g est en rupture de stock (stock au 01/12/2026 09:00 UTC)" in reply.reply


async def test_availability_is_answered_from_the_catalogue_stock_with_the_sync_time(harness: ChatHarness) -> None:
    reply = await harness.turn("Est-ce que la lampe Lumière d'Automne est disponible ?")
    assert reply.reply == "Oui, Lampe Lumière d'Automne est disponible : 2 en stock (au 01/12/2026 09:00 UTC)."
    english = await harness.turn("Is the Bougie Ambre 400 g still in stock?", locale="en")
    assert "out of stock" in english.reply


async def test_an_llm_tool_call_that_sets_a_price_is_refused(harness: ChatHarness) -> None:
    harness.use_llm()
    before = len(harness.state["quotes"])
    args = json.dumps({"lines": [{"product_id": "file:OPALE", "unit_price": 1, "quantity": 2}]})
    harness.fake.script(Step(text="Voici votre devis.", tool_calls=[{"name": "create_quote", "arguments": args}]))
    reply = await harness.turn("Je voudrais un devis pour 2 suspensions Opale")
    assert reply.quote is None and len(harness.state["quotes"]) == before
    system = harness.fake.requests[0]["messages"][0]["content"]
    assert "product_id file:OPALE : Suspension Opale, 189.00 EUR TTC" in system  # the catalogue, for the tool
    tool = harness.fake.requests[0]["tools"][0]["function"]["parameters"]["properties"]["lines"]["items"]
    assert set(tool["properties"]) == {"product_id", "variant_id", "quantity"}
