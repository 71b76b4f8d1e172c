"""The catalogue route of a turn: quotes at catalogue prices and stock answers, with or without an LLM.

`plan()` reads the message (services/chat/quote_intent.py) and, when it asks for a quote or for
availability, looks the named products up through `billing.search_products`; a question still
open from the previous turn ("Bougie Ambre 200 g ou 400 g ?", kept in the session's metadata under
`pending_quote`) is answered first. `answer()` asks billing for the quote with product ids,
variants and quantities only — billing prices it — and returns the reply with a quote card.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from libs.common.errors import ComptoirError, RemoteError
from libs.common.events.billing import (
    CreateQuote,
    ProductResults,
    ProductView,
    QuoteLineIn,
    QuoteReply,
    QuoteView,
    SearchProducts,
)
from libs.common.events.chat import QuoteSummary
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from services.chat import quote_intent
from services.chat.answer import Answer
from services.chat.deps import ChatDeps
from services.chat.quote_intent import ItemAsk, Option

log = get_logger(__name__)
PENDING = "pending_quote"
SEARCH_K = 6


@dataclass
class Plan:
    kind: str  # quote | availability
    lines: list[tuple[Option, int]] = field(default_factory=list)
    ask: tuple[list[Option], int] | None = None  # options, quantity
    rest: list[ItemAsk] = field(default_factory=list)  # items after the one asked about
    unknown: list[str] = field(default_factory=list)
    products: dict[str, ProductView] = field(default_factory=dict)
    answered_question: bool = False  # the visitor answered the question left open by the last turn


def money(amount: Decimal | str, currency: str, lang: str) -> str:
    text = format_currency(Decimal(str(amount)), currency, locale="en_GB" if lang == "en" else "fr_FR")
    return text.replace("\u202f", " ").replace("\xa0", " ")


async def search_catalogue(ctx: HandlerContext, deps: ChatDeps, phrase: str) -> list[ProductView]:
    """billing.search_products for `phrase`; nothing when billing does not answer."""
    try:
        found = await ctx.request(SearchProducts.TYPE, SearchProducts(query=phrase, limit=SEARCH_K), ProductResults,
                                  timeout=deps.settings.billing_timeout_s)
    except ComptoirError as exc:
        log.warning("catalogue_search_unavailable", error=str(exc))
        return []
    return found.products


async def _resolve_items(ctx: HandlerContext, deps: ChatDeps, plan: Plan, items: list[ItemAsk]) -> Plan:
    for index, item in enumerate(items):
        candidates = await search_catalogue(ctx, deps, item.phrase)
        plan.products.update({p.id: p for p in candidates})
        found = quote_intent.resolve(item, [p.model_dump(mode="json") for p in candidates])
        if found.status == "matched" and found.option is not None:
            plan.lines.append((found.option, item.quantity))
        elif found.status == "ambiguous":
            plan.ask = (found.options, item.quantity)
            plan.rest = items[index + 1:]
            return plan
        else:
            plan.unknown.append(item.phrase)
    return plan


def _pending(metadata: dict[str, Any]) -> dict[str, Any] | None:
    pending = metadata.get(PENDING)
    return pending if isinstance(pending, dict) and pending.get("options") else None


async def plan(ctx: HandlerContext, deps: ChatDeps, message: str, metadata: dict[str, Any]) -> Plan | None:
    """What the catalogue route would do with this message; None: not a catalogue request."""
    pending = _pending(metadata)
    if pending is not None:
        options = [Option(*o) for o in pending["options"]]
        chosen = quote_intent.answer_choice(message, options)
        if chosen is not None:
            done = Plan("quote", lines=[(Option(*o), int(q)) for o, q in pending.get("lines", [])],
                        answered_question=True)
            done.lines.append((chosen, int(pending.get("quantity", 1))))
            rest = [ItemAsk(int(q), str(p)) for q, p in pending.get("rest", [])]
            await _resolve_items(ctx, deps, done, rest)
            ids = [o.product_id for o, _ in done.lines]
            found = await _by_ids(ctx, deps, ids)
            done.products.update(found)
            return done
    parsed = quote_intent.parse(message)
    if parsed is None or not parsed.items:
        return None
    result = await _resolve_items(ctx, deps, Plan(parsed.kind), list(parsed.items))
    if not result.lines and result.ask is None:
        return None  # nothing of the catalogue named: the ordinary answer
    return result


async def _by_ids(ctx: HandlerContext, deps: ChatDeps, ids: list[str]) -> dict[str, ProductView]:
    try:
        found = await ctx.request(SearchProducts.TYPE, SearchProducts(product_ids=ids[:100]), ProductResults,
                                  timeout=deps.settings.billing_timeout_s)
    except ComptoirError:
        return {}
    return {p.id: p for p in found.products}


def catalogue_lines(result: Plan | None) -> list[str]:
    """The products a message names, for the LLM's prompt: ids for its quote tool, catalogue prices."""
    if result is None:
        return []
    out = []
    for product in list(result.products.values())[:12]:
        stock = "stock non suivi" if product.stock is None else f"stock {product.stock}"
        variants = "; ".join(f"variant_id {v.id} = {v.name} {v.price} {product.currency}"
                             + ("" if v.in_stock and (v.stock is None or v.stock > 0) else " (rupture)")
                             for v in product.variants)
        out.append(f"product_id {product.id} : {product.name}, {product.price} {product.currency} TTC, {stock}"
                   + (f" — variantes : {variants}" if variants else ""))
    return out


def metadata_update(result: Plan) -> dict[str, Any]:
    if result.ask is None:
        return {PENDING: None}
    options, quantity = result.ask
    return {PENDING: {"options": [[o.product_id, o.variant_id, o.label] for o in options], "quantity": quantity,
                      "lines": [[[o.product_id, o.variant_id, o.label], q] for o, q in result.lines],
                      "rest": [[i.quantity, i.phrase] for i in result.rest]}}


def _stock_of(product: ProductView, variant_id: str | None) -> tuple[int | None, bool]:
    if variant_id:
        variant = next((v for v in product.variants if v.id == variant_id), None)
        if variant is not None:
            return variant.stock, variant.in_stock
    return product.stock, product.in_stock


def _synced(product: ProductView, lang: str) -> str:
    at = product.synced_at
    return f"{at:%d/%m/%Y %H:%M} UTC" if lang != "en" else f"{at:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class _Stocked:
    """A line of the plan whose product the catalogue knows, with its stock as of `when`."""

    option: Option
    quantity: int
    stock: int | None
    in_stock: bool
    when: str

    @property
    def sold_out(self) -> bool:
        return not self.in_stock or (self.stock is not None and self.stock <= 0)


def _stocked(result: Plan, lang: str) -> Iterator[_Stocked]:
    for option, quantity in result.lines:
        product = result.products.get(option.product_id)
        if product is not None:
            yield _Stocked(option, quantity, *_stock_of(product, option.variant_id), _synced(product, lang))


def availability_text(result: Plan, lang: str) -> str:
    out = []
    for line in _stocked(result, lang):
        option, stock, when = line.option, line.stock, line.when
        if line.sold_out:
            out.append(f"{option.label} is out of stock (stock as of {when})." if lang == "en" else
                       f"{option.label} est en rupture de stock (stock au {when}).")
        elif stock is None:
            out.append(f"{option.label} is available." if lang == "en" else f"{option.label} est disponible.")
        else:
            out.append(f"Yes, {option.label} is available: {stock} in stock (as of {when})." if lang == "en" else
                       f"Oui, {option.label} est disponible : {stock} en stock (au {when}).")
    return " ".join(out)


async def answer(ctx: HandlerContext, deps: ChatDeps, result: Plan, *, session_id: str, email: str | None,
                 lang: str) -> Answer:
    update = metadata_update(result)
    if result.ask is not None:
        options, _ = result.ask
        return Answer(quote_intent.question(options, lang), "grounded", "quote_question",
                      metadata_update=update)
    if result.kind == "availability" and result.lines:
        return Answer(availability_text(result, lang), "grounded", "catalogue", metadata_update=update)
    problems = _stock_problems(result, lang)
    if problems:
        return Answer(" ".join(problems), "grounded", "out_of_stock", metadata_update=update)
    lines = [QuoteLineIn(product_id=o.product_id, variant_id=o.variant_id, quantity=q) for o, q in result.lines]
    try:
        reply = await ctx.request(CreateQuote.TYPE, CreateQuote(type="product", session_id=session_id, email=email,
                                                                lines=lines), QuoteReply,
                                  timeout=deps.settings.billing_timeout_s,
                                  # a rerun of this turn makes no second quote
                                  request_id=ctx.derived_request_id(CreateQuote.TYPE))
    except RemoteError as exc:
        return Answer(_refused(exc, lang), "grounded", f"quote_{exc.code}", metadata_update=update)
    except ComptoirError as exc:
        log.warning("quote_failed", error=str(exc))
        return Answer(_unavailable(lang), "grounded", "quote_unavailable", metadata_update=update)
    summary = summary_of(reply.quote)
    text = quote_text(reply.quote, lang)
    if result.unknown:
        missing = ", ".join(f"« {u} »" for u in result.unknown)
        text += (f" I could not find {missing} in our catalogue." if lang == "en"
                 else f" Je n'ai pas trouvé {missing} dans notre catalogue.")
    return Answer(text, "grounded", "quote", quote=summary, metadata_update=update)


def _stock_problems(result: Plan, lang: str) -> list[str]:
    out = []
    for line in _stocked(result, lang):
        option, quantity, stock, when = line.option, line.quantity, line.stock, line.when
        if line.sold_out:
            out.append(f"Sorry, {option.label} is out of stock (stock as of {when})." if lang == "en" else
                       f"Désolé, {option.label} est en rupture de stock (stock au {when}).")
        elif stock is not None and quantity > stock:
            out.append(f"Sorry, only {stock} × {option.label} left (as of {when}), {quantity} asked." if lang == "en"
                       else f"Désolé, il ne reste que {stock} × {option.label} (stock au {when}) : "
                       f"{quantity} demandés.")
    return out


def _refused(exc: RemoteError, lang: str) -> str:
    if lang == "en":
        return f"I could not prepare this quote: {exc.message}"
    return f"Je n'ai pas pu préparer ce devis : {exc.message}"


def _unavailable(lang: str) -> str:
    return ("Quotes are unavailable right now; please try again in a moment." if lang == "en"
            else "Les devis sont momentanément indisponibles ; réessayez dans un instant.")


def summary_of(quote: QuoteView) -> QuoteSummary:
    """The quote card: lines, totals with VAT, PDF (or why not), checkout."""
    return QuoteSummary(
        quote_id=quote.id, total=str(quote.totals.gross), currency=quote.currency, checkout_url=quote.checkout_url,
        pdf_url=quote.pdf_url, pdf_unavailable_reason=quote.pdf_unavailable_reason, net=str(quote.totals.net),
        vat=str(quote.totals.vat), invoice_url=quote.invoice_url,
        lines=[{"label": line.label, "quantity": line.quantity, "unit_price": str(line.unit_price),
                "line_total": str(line.line_total), "product_id": line.product_id, "variant_id": line.variant_id}
               for line in quote.lines])


def quote_text(quote: QuoteView, lang: str) -> str:
    c = quote.currency
    lines = "; ".join(f"{line.quantity} × {line.label} : {money(line.line_total, c, lang)}" for line in quote.lines)
    t = quote.totals
    if lang == "en":
        text = (f"Here is your quote no. {quote.id[:8].upper()}: {lines}. Total {money(t.gross, c, lang)} incl. VAT "
                f"({money(t.vat, c, lang)} VAT).")
        text += f" PDF: {quote.pdf_url}" if quote.pdf_url else " The PDF cannot be issued yet."
        return text + (f" Pay online: {quote.checkout_url}" if quote.checkout_url else "")
    text = (f"Voici votre devis n° {quote.id[:8].upper()} : {lines}. Total {money(t.gross, c, lang)} TTC "
            f"(dont TVA {money(t.vat, c, lang)}).")
    text += f" PDF : {quote.pdf_url}" if quote.pdf_url else " Le PDF ne peut pas encore être émis."
    return text + (f" Paiement en ligne : {quote.checkout_url}" if quote.checkout_url else "")
