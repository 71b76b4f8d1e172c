"""Calls to other services during a turn, each with its timeout and its fallback.

None of them can fail a turn: screening fails open to the in-process rules (or closed, if
configured), search to "no chunks", the output guard to a local canary check, embedding to a null
vector, a quote to "no quote".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from libs.common.errors import ComptoirError
from libs.common.events.billing import CreateQuote, QuoteLineIn, QuoteReply
from libs.common.events.chat import QuoteSummary
from libs.common.events.rag import Embeddings, EmbedTexts, KnowledgeSearchResults, SearchKnowledge
from libs.common.events.security import GuardOutput, OutputVerdict, ScreenMessage, ScreenVerdict
from libs.common.flags import RuntimeFlags
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from libs.guard import offload
from libs.guard.screening import GuardFlags
from services.chat import grounded
from services.chat.deps import ChatDeps
from services.chat.fallback import Chunk

log = get_logger(__name__)
CONTEXT_DIM = 1024
QUERY_CHARS = 2000


@dataclass(frozen=True)
class Screen:
    blocked: bool
    safe_reply: str | None = None
    signals: tuple[str, ...] = ()


async def screen(
    ctx: HandlerContext,
    deps: ChatDeps,
    text: str,
    *,
    session_id: str,
    ip: str | None,
    locale: str,
    flags: RuntimeFlags,
    security_unavailable: bool = False,
) -> Screen:
    """Ask security.screen; in process (libs.guard, the same GuardSettings as security's) when the caller
    already knows security is down (`security_unavailable`) or when it does not answer."""
    if security_unavailable:
        log.warning("security_unavailable", error="caller failed open", fail_closed=deps.settings.security_fail_closed)
        return await _local_screen(deps, text, flags)
    request = ScreenMessage(text=text, session_id=session_id, ip=ip, route="chat", locale=locale, rate_limit=False)
    try:
        verdict = await ctx.request(
            ScreenMessage.TYPE, request, ScreenVerdict, timeout=deps.settings.security_timeout_s
        )
    except ComptoirError as exc:
        log.warning("security_unavailable", error=str(exc), fail_closed=deps.settings.security_fail_closed)
        return await _local_screen(deps, text, flags)
    return Screen(verdict.verdict == "block", verdict.safe_reply, tuple(verdict.signals))


async def _local_screen(deps: ChatDeps, text: str, flags: RuntimeFlags) -> Screen:
    if deps.settings.security_fail_closed:
        return Screen(True, None, ("security_unavailable",))
    if deps.screener is None:
        return Screen(False, None, ("security_unavailable",))
    result = await offload.screen(deps.screener, text, GuardFlags(flags.conversation_guard, flags.role_lock))
    return Screen(result.verdict == "block", None, ("local_rules", *result.signals))


async def search(ctx: HandlerContext, deps: ChatDeps, text: str) -> list[Chunk]:
    request = SearchKnowledge(query=text[:QUERY_CHARS], k=deps.settings.rag_top_k)
    try:
        results = await ctx.request(
            SearchKnowledge.TYPE, request, KnowledgeSearchResults, timeout=deps.settings.rag_timeout_s
        )
    except ComptoirError as exc:
        log.warning("rag_unavailable", error=str(exc))
        return []
    chunks = []
    # a model whose cosines run higher (rag's word vectors) raises the bar; never lowers it
    high = max(deps.settings.min_relevance, results.high_similarity or 0.0)
    for hit in results.hits:
        similarity = hit.similarity
        passage = f"{hit.metadata.get('title') or ''}\n{hit.content}"
        relevant = grounded.is_relevant(text, passage, similarity, high, passage_language=hit.language)
        chunks.append(
            Chunk(
                id=hit.id,
                content=hit.content,
                source=hit.source or "knowledge",
                title=hit.metadata.get("title"),
                doc_id=hit.metadata.get("doc_id") or hit.document_id,
                score=round(similarity if similarity is not None else hit.score, 4),
                relevant=relevant,
                language=hit.language,
            )
        )
    return chunks


async def guard(
    ctx: HandlerContext,
    deps: ChatDeps,
    reply: str,
    *,
    canary: str,
    system_prompt: str,
    session_id: str,
    locale: str,
    allowed: list[str],
) -> tuple[str, bool]:
    """The reply to show and whether it was replaced.

    The security service's own check runs in process first; only a reply it does not allow goes to
    `security.guard_output`, which records the incident and picks the safe answer. A clean reply
    (nearly all of them) thus costs no broker round trip.
    """
    if deps.guard is not None and deps.guard.allows(reply, canary, system_prompt, allowed):
        return reply, False
    fingerprint = deps.guard.fingerprint(system_prompt) if deps.guard is not None else []
    request = GuardOutput(
        reply=reply,
        session_id=session_id,
        locale=locale,
        canary=canary,
        prompt_fingerprint=fingerprint,
        allowed_values=allowed,
    )
    try:
        verdict = await ctx.request(GuardOutput.TYPE, request, OutputVerdict, timeout=deps.settings.guard_timeout_s)
    except ComptoirError as exc:
        log.warning("output_guard_unavailable", error=str(exc))
        unsafe = deps.guard is not None or canary in reply
        return (_canary_refusal(locale), True) if unsafe else (reply, False)
    return verdict.reply, verdict.verdict == "block" or verdict.reply != reply


def _canary_refusal(locale: str) -> str:
    if locale.startswith("en"):
        return "Sorry, I can't share that. How else can I help you with our products or orders?"
    return "Désolé, je ne peux pas partager cela. Puis-je vous aider autrement sur nos produits ou commandes ?"


async def embed(ctx: HandlerContext, deps: ChatDeps, text: str) -> list[float] | None:
    """A 1024-d vector for app_conversation_contexts; a shorter model's vector is zero-padded
    (cosine similarity between padded vectors is unchanged), a longer one is not stored."""
    try:
        result = await ctx.request(
            EmbedTexts.TYPE,
            EmbedTexts(texts=[text[:QUERY_CHARS]]),
            Embeddings,
            timeout=deps.settings.embed_timeout_s,
        )
    except ComptoirError as exc:
        log.warning("embed_unavailable", error=str(exc))
        return None
    vector = result.vectors[0] if result.vectors else []
    if not vector or len(vector) > CONTEXT_DIM:
        return None
    return [float(v) for v in vector] + [0.0] * (CONTEXT_DIM - len(vector))


PRICE_KEYS = frozenset({"unit_price", "price", "amount", "total", "currency", "vat_rate", "label"})


class ToolCallRefused(ValueError):
    """A model's create_quote call that tries to set what only the catalogue decides."""


def quote_lines(arguments: dict[str, Any]) -> list[QuoteLineIn]:
    """Catalogue lines (product id, variant, quantity) from the model's tool call.

    Prices, VAT, currency and labels come from billing's catalogue: a call that sets any of them,
    or names no product, is refused whole (never "corrected" into a quote).
    """
    lines = []
    for raw in arguments.get("lines") or []:
        if not isinstance(raw, dict):
            raise ToolCallRefused("a quote line is not an object")
        setting = sorted(PRICE_KEYS & raw.keys())
        if setting:
            raise ToolCallRefused(f"the tool call sets {', '.join(setting)}: prices come from the catalogue")
        if not raw.get("product_id"):
            raise ToolCallRefused("a quote line names no catalogue product_id")
        quantity = raw.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ToolCallRefused(f"quantity {quantity!r} is not a whole number")
        lines.append(QuoteLineIn(product_id=str(raw["product_id"]), variant_id=raw.get("variant_id"),
                                 quantity=quantity))
    if not lines:
        raise ToolCallRefused("the tool call has no lines")
    return lines


async def create_quote(
    ctx: HandlerContext, deps: ChatDeps, arguments: dict[str, Any], *, session_id: str, email: str | None
) -> QuoteSummary | None:
    try:
        lines = quote_lines(arguments)
        request = CreateQuote(type="product", session_id=session_id, email=arguments.get("email") or email,
                              lines=lines)
        # one quote per turn: a rerun of this turn (redelivered, retried) gets the same quote back
        reply = await ctx.request(CreateQuote.TYPE, request, QuoteReply, timeout=deps.settings.billing_timeout_s,
                                  request_id=ctx.derived_request_id(CreateQuote.TYPE))
    except ToolCallRefused as exc:
        log.warning("quote_tool_call_refused", reason=str(exc))
        return None
    except (ComptoirError, ValueError, TypeError) as exc:
        log.warning("quote_failed", error=str(exc))
        return None
    quote = reply.quote
    return QuoteSummary(
        quote_id=quote.id,
        total=str(quote.totals.gross),
        currency=quote.currency,
        checkout_url=quote.checkout_url,
        pdf_url=quote.pdf_url,
    )
