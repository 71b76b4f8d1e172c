"""Prices in a reply come from the catalogue, never from FAQ text or the model's memory.

A grounded reply quotes knowledge passages, and an LLM reply may repeat them or make one up: « la
suspension Opale coûte 159 € » when billing sells it at 189 €. Before a reply is shown, every sentence
that states a price (a price word and an amount) is checked against billing's catalogue
(`billing.search_products`): when one catalogue product is named in it (all the words of its name), its
amounts become the catalogue's price; when none is, or billing does not answer, the amounts are replaced
by a pointer to a quote. Amounts in sentences without a price word (a free-shipping threshold, a
return window) are shop policy, not prices, and stay.
"""

from __future__ import annotations

import re
from decimal import Decimal

from libs.common.events.billing import ProductView
from libs.common.service import HandlerContext
from services.chat import quote_turn
from services.chat.answer import Answer
from services.chat.deps import ChatDeps
from services.chat.entities import fold

_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_AMOUNT = re.compile(r"(?:€|EUR)\s?\d+(?:[.,]\d{1,2})?"
                     r"|\d{1,3}(?:[\s\u202f\xa0.]\d{3})*(?:[.,]\d{1,2})?\s?(?:€|EUR\b|euros?\b)", re.IGNORECASE)
# folded price words: a sentence with one of these and an amount states a price
_PRICE_WORD = re.compile(r"\b(?:coute\w*|cout|prix|tarif\w*|vendu\w*|vaut|valent|facture\w*|costs?|priced?|"
                         r"prices|sells? for|sold for|retails?)\b")
_NAME_WORD = re.compile(r"[a-z0-9]+")
UNBACKED = {"fr": "(prix à confirmer sur devis)", "en": "(price to be confirmed by a quote)"}


def price_sentences(text: str) -> list[str]:
    """The sentences of `text` that state a price."""
    return [s for s in _SENTENCE.split(text) if _AMOUNT.search(s) and _PRICE_WORD.search(fold(s))]


def named_product(sentence: str, products: list[ProductView]) -> ProductView | None:
    """The catalogue product the sentence names (every word of its name in it), the longest name first."""
    words = set(_NAME_WORD.findall(fold(sentence)))
    named = [p for p in products if (name := [w for w in _NAME_WORD.findall(fold(p.name)) if len(w) > 1])
             and all(w in words for w in name)]
    return max(named, key=lambda p: len(p.name), default=None)


def amount_value(text: str) -> Decimal | None:
    """189 € → 189, « 1 234,50 € » → 1234.50, € 24.90 → 24.90."""
    digits = re.sub(r"[^\d.,]", "", text)
    if not digits:
        return None
    match = re.fullmatch(r"(.*?)(?:[.,](\d{1,2}))?", digits)
    if match is None:
        return None
    whole, cents = re.sub(r"\D", "", match.group(1)), match.group(2) or "0"
    return Decimal(f"{whole or 0}.{cents}")


def backed(sentence: str, product: ProductView | None, lang: str) -> str:
    """The sentence with its amounts set to `product`'s catalogue price, or pointed to a quote."""
    if product is None:
        return _AMOUNT.sub(UNBACKED["en" if lang == "en" else "fr"], sentence)
    price = Decimal(product.price)
    shown = quote_turn.money(price, product.currency, lang)
    return _AMOUNT.sub(lambda m: m.group(0) if amount_value(m.group(0)) == price else shown, sentence)


async def check(ctx: HandlerContext, deps: ChatDeps, answer: Answer, lang: str) -> None:
    """Set the answer's prices to the catalogue's (in place); `answer.rewritten` when it changed.

    Replies whose prices billing made (quotes, stock answers) and refusals are left as they are."""
    if answer.quote is not None or answer.blocked or answer.mode not in ("llm", "grounded"):
        return
    reply = answer.reply
    for sentence in dict.fromkeys(price_sentences(reply)):
        products = await quote_turn.search_catalogue(ctx, deps, sentence)
        fixed = backed(sentence, named_product(sentence, products), lang)
        if fixed != sentence:
            reply = reply.replace(sentence, fixed)
    if reply != answer.reply:
        answer.reply, answer.rewritten = reply, True
