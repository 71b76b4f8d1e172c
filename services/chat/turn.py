"""One chat turn: screen, search, answer (LLM or grounded), guard, remember, reply.

Screening, knowledge search and the session read run concurrently; the answer streams to the
gateway while it is generated; everything the turn changes (session, entities, lead, long-term
context, outbox events) commits in one short transaction at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field, replace
from typing import Any

from libs.common.events.chat import ChatReplyDelta, ChatTurn, ChatTurnReply, Citation, QuoteSummary
from libs.common.llm import LLMError, LLMUnavailable
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from services.chat import conversations, memory, remote, repo
from services.chat.deps import ChatDeps, ShopConfig
from services.chat.entities import Entity, contacts_in, extract
from services.chat.fallback import Chunk, grounded_answer, is_small_talk, language_of, text
from services.chat.flags import RuntimeFlags
from services.chat.persist import TurnRecord, context_key, persist
from services.chat.prompt import QUOTE_TOOL, PromptParts, build_messages, known_facts, system_message
from services.chat.slots import Slot

log = get_logger(__name__)
# Two answers in a row without knowledge, and a third coming: hand off rather than loop.
STUCK_AFTER = 2
SHOP_INTENTS = frozenset({"quote", "purchase", "pricing", "shipping", "returns", "availability", "handoff"})


@dataclass
class Answer:
    reply: str
    mode: str = "grounded"
    fallback_reason: str | None = None
    chunks: list[Chunk] = field(default_factory=list)
    handoff_reason: str | None = None
    quote: QuoteSummary | None = None
    unknown: bool = False
    blocked: bool = False


class Turn:
    def __init__(self, req: ChatTurn, ctx: HandlerContext, deps: ChatDeps, slot: Slot | None = None) -> None:
        self.req = req
        self.slot = slot
        self.ctx = ctx
        self.deps = deps
        self.flags: RuntimeFlags = deps.flags.current
        self.lang = language_of(req.message, req.locale)
        self.entities: list[Entity] = extract(req.message)
        self.intents = [e.value for e in self.entities if e.type == "intent"]
        self.seq = 0
        self.timings: dict[str, float] = {}
        self._pending: list[str] = []
        self._flushed_at = time.perf_counter()
        self.expired = False
        self.off_topic = False

    async def run(self) -> ChatTurnReply:
        started = time.perf_counter()
        screening = asyncio.create_task(self._screen())
        searching = asyncio.create_task(remote.search(self.ctx, self.deps, self.req.message))
        shop, state = await asyncio.gather(self.deps.config.get(), self._load())
        self.timings["load"] = time.perf_counter() - started
        screen = await screening
        self.timings["screen"] = time.perf_counter() - started
        if not screen.blocked and conversations.human_holds(state.session.metadata):
            searching.cancel()  # an adviser holds the conversation: stored for them, no LLM call
            with contextlib.suppress(asyncio.CancelledError):
                await searching
            return await conversations.store_for_human(self.req, self.ctx, self.lang)
        if screen.blocked:
            searching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await searching
            answer = Answer(screen.safe_reply or _refusal(self.lang), fallback_reason="blocked", blocked=True)
        else:
            chunks = await searching
            self.timings["search"] = time.perf_counter() - started
            answer = await self._answer(shop, state, chunks)
        self.timings["answer"] = time.perf_counter() - started
        citations = _citations(answer.chunks)
        await self._final_delta(answer, citations)
        record = TurnRecord(
            self.req,
            self.lang,
            self.entities,
            self.intents,
            answer.reply,
            answer.mode,
            citations,
            answer.handoff_reason,
            answer.unknown,
            answer.blocked,
            self.off_topic,
            self.expired,
        )
        outcome = await persist(self.ctx, self.deps, record, state.loaded, state.context)
        self.timings["persist"] = time.perf_counter() - started
        log.debug("turn_timings", mode=answer.mode, **{k: round(v * 1000, 2) for k, v in self.timings.items()})
        return ChatTurnReply(
            session_id=self.req.session_id,
            request_id=self.req.request_id,
            reply=answer.reply,
            citations=citations,
            handoff=answer.handoff_reason is not None,
            mode=answer.mode,
            fallback_reason=answer.fallback_reason,
            blocked=answer.blocked,
            lead_id=outcome.lead_id,
            quote=answer.quote,
            message_count=outcome.message_count,
        )

    async def _screen(self) -> remote.Screen:
        if self.req.screened:
            return remote.Screen(False)
        return await remote.screen(
            self.ctx,
            self.deps,
            self.req.message,
            session_id=self.req.session_id,
            ip=self.req.ip,
            locale=self.lang,
            flags=self.flags,
            security_unavailable=self.req.security_unavailable,
        )

    async def _load(self) -> TurnState:
        async with self.ctx.pool.acquire() as conn:
            session, known, context = await repo.turn_state(conn, self.req.session_id, context_key(self.req))
        loaded = replace(session, messages=list(session.messages), metadata=dict(session.metadata))
        return TurnState(session, known, context, loaded)

    # ---- answering ----------------------------------------------------------------------------
    async def _answer(self, shop: ShopConfig, state: TurnState, chunks: list[Chunk]) -> Answer:
        session = state.session
        if memory.expired(session, shop.setting("sessionTtlDays", 90)):
            self.expired = True
            state.session = session = repo.SessionRow(session.session_id)
            state.known = []
        if memory.turns(session) >= shop.setting("maxTurns", 50):
            return Answer(text(self.lang, "limit"), fallback_reason="max_turns")
        brand = known_facts(shop.facts).get("brand_name", "notre boutique")
        relevant = [c for c in chunks if c.relevant]
        small_talk = is_small_talk(self.req.message)
        self.off_topic = not relevant and not small_talk and not (SHOP_INTENTS & set(self.intents))
        locked = self.flags.topic_lock and self.off_topic
        if "handoff" in self.intents:
            return Answer(self._handoff_text(brand, state), fallback_reason="handoff", handoff_reason="visitor_asked")
        if locked and int(session.metadata.get("off_topic_streak", 0)) >= shop.setting("topicLockTurns", 3):
            return Answer(text(self.lang, "topic", brand=brand), fallback_reason="topic_lock")
        # off-topic questions are the topic lock's business; a stuck assistant is one that keeps
        # failing on the shop's own subjects
        unknowns = int(session.metadata.get("unknown_streak", 0))
        if not relevant and not small_talk and not locked and unknowns >= STUCK_AFTER:
            return Answer(self._handoff_text(brand, state), fallback_reason="handoff", handoff_reason="assistant_stuck")
        reason = self._no_llm_reason()
        if reason is None:
            answer = await self._llm_answer(shop, state, chunks, small_talk)
            if answer is not None:
                return answer
            reason = "llm_error"
        if small_talk:
            return Answer(text(self.lang, "greeting", brand=brand), "grounded", reason)
        return self._grounded(shop, chunks, reason)

    def _no_llm_reason(self) -> str | None:
        if self.flags.kill_switch:
            return "kill_switch"
        if not self.deps.llm.settings.configured:
            return "not_configured"
        if not self.deps.llm.available:
            return "breaker_open"
        return None

    def _grounded(self, shop: ShopConfig, chunks: list[Chunk], reason: str) -> Answer:
        reply, used = grounded_answer(self.req.message, self.lang, chunks, shop.facts, self.intents)
        return Answer(reply, "grounded", reason, used, unknown=not used)

    def _handoff_text(self, brand: str, state: TurnState) -> str:
        has_contact = any(e.type in ("email", "phone") for e in self.entities) or any(
            kind in ("email", "phone") for kind, _, _ in state.known
        )
        contact = text(self.lang, "contact_known" if has_contact else "contact_unknown")
        return text(self.lang, "handoff", brand=brand, contact=contact)

    async def _llm_answer(
        self, shop: ShopConfig, state: TurnState, chunks: list[Chunk], small_talk: bool
    ) -> Answer | None:
        parts = PromptParts(
            system_prompt=shop.prompt,
            facts=shop.facts,
            flags=self.flags,
            language=self.lang,
            chunks=chunks,
            summary=state.session.summary,
            recent=memory.recent(state.session, self.deps.settings.keep_recent_messages),
            visitor=[f"{kind} : {value}" for kind, value, _ in state.known if kind != "sentiment"][:12],
            long_term=_long_term_text(state.long_term),
        )
        messages = build_messages(parts, self.req.message)
        tools = [QUOTE_TOOL] if ("quote" in self.intents or "purchase" in self.intents) else None
        try:
            async with asyncio.timeout(self.deps.settings.llm_budget_s), self._waiting():
                llm_started = time.perf_counter()
                completion_text, tool_calls = await self._stream_llm(messages, tools)
                self.timings["llm_only"] = time.perf_counter() - llm_started
        except (LLMError, TimeoutError) as exc:
            log.warning(
                "llm_failed",
                error=str(exc) or type(exc).__name__,
                unavailable=isinstance(exc, LLMUnavailable),
            )
            return None
        quote = None
        for call in tool_calls:
            if call.name == "create_quote":
                quote = await self._quote(call.parsed_arguments(), state)
        reply = completion_text.strip() or ("" if quote else text(self.lang, "unknown"))
        if quote is not None:
            reply = (reply + "\n\n" + _quote_text(self.lang, quote)).strip()
        relevant = [c for c in chunks if c.relevant]
        answer = Answer(reply, "llm", None, relevant, quote=quote, unknown=not relevant and not small_talk)
        if self.flags.conversation_guard:
            guard_started = time.perf_counter()
            await self._guard(answer, parts, state)
            self.timings["guard_only"] = time.perf_counter() - guard_started
        return answer

    def _waiting(self) -> contextlib.AbstractAsyncContextManager[None]:
        """The LLM wait gives this turn's slot back (services/chat/slots.py)."""
        if self.slot is None:
            return contextlib.nullcontext()
        return self.deps.slots.waiting(self.slot)

    async def _stream_llm(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
    ) -> tuple[str, list[Any]]:
        if not self._streaming:
            # nobody listens to deltas (a JSON turn): one plain completion, no event stream to parse
            completion = await self.deps.llm.complete(messages, tools=tools)
            return completion.content, list(completion.tool_calls)
        parts: list[str] = []
        calls: list[Any] = []
        async for event in self.deps.llm.stream(messages, tools=tools):
            if event.text:
                parts.append(event.text)
                await self._delta(event.text)
            if event.completion is not None:
                calls = list(event.completion.tool_calls)
        await self._delta("", flush=True)
        return "".join(parts), calls

    async def _quote(self, arguments: dict[str, Any], state: TurnState) -> QuoteSummary | None:
        email = next((e.value for e in self.entities if e.type == "email"), None) or next(
            (v for kind, v, _ in state.known if kind == "email"), None
        )
        return await remote.create_quote(self.ctx, self.deps, arguments, session_id=self.req.session_id, email=email)

    async def _guard(self, answer: Answer, parts: PromptParts, state: TurnState) -> None:
        allowed = [e.value for e in self.entities if e.type in ("email", "phone")]
        allowed += [v for kind, v, _ in state.known if kind in ("email", "phone")]
        # the shop's own published e-mails and numbers, wherever a fact mentions them
        allowed += [c for value in known_facts(parts.facts).values() for c in contacts_in(value)]
        answer.reply, replaced = await remote.guard(
            self.ctx,
            self.deps,
            answer.reply,
            canary=parts.canary,
            system_prompt=system_message(parts),
            session_id=self.req.session_id,
            locale=self.lang,
            allowed=allowed,
        )
        if replaced:
            answer.fallback_reason, answer.blocked = "output_guard", True

    # ---- streaming ----------------------------------------------------------------------------
    @property
    def _streaming(self) -> bool:
        return self.deps.publisher is not None and bool(self.req.stream_to) and self.deps.settings.stream_deltas

    async def _delta(self, piece: str, *, flush: bool = False) -> None:
        """Stream `piece`. The first text goes at once (time to first token); after that LLM tokens
        are coalesced into at most one delta per `stream_interval_s`: smooth to the eye, and a fast
        model's few-character tokens do not each cost a broker message."""
        publisher, stream_to = self.deps.publisher, self.req.stream_to
        if publisher is None or stream_to is None or not self._streaming:
            return
        self._pending.append(piece)
        waited = time.perf_counter() - self._flushed_at
        if not flush and self.seq > 0 and waited < self.deps.settings.stream_interval_s:
            return
        text, self._pending = "".join(self._pending), []
        self._flushed_at = time.perf_counter()
        if not text:
            return
        delta = ChatReplyDelta(request_id=self.req.request_id, session_id=self.req.session_id, seq=self.seq, delta=text)
        await publisher.publish(stream_to, delta)
        self.seq += 1

    async def _final_delta(self, answer: Answer, citations: list[Citation]) -> None:
        publisher = self.deps.publisher
        if publisher is None or not self.req.stream_to:
            return
        self._pending = []  # the rest of a stream that failed: the reply below supersedes it
        streamed = self.seq > 0
        if not streamed:
            await self._delta(answer.reply, flush=True)
        replace = answer.reply if streamed and (answer.blocked or answer.mode != "llm" or answer.quote) else None
        await publisher.publish(
            self.req.stream_to,
            ChatReplyDelta(
                request_id=self.req.request_id,
                session_id=self.req.session_id,
                seq=self.seq,
                done=True,
                citations=citations,
                replace=replace,
            ),
        )


@dataclass
class TurnState:
    session: repo.SessionRow
    known: list[tuple[str, str, float]]
    context: dict[str, Any] | None  # the long-term context row of this visitor (or session)
    loaded: repo.SessionRow  # the session as read, for the optimistic write

    @property
    def long_term(self) -> dict[str, Any] | None:
        """Previous conversations, shown to the LLM when a known visitor starts a new session."""
        if self.context is None or not str(self.context.get("session_id", "")).startswith("visitor:"):
            return None
        return self.context if self.loaded.message_count == 0 else None


def _citations(chunks: list[Chunk]) -> list[Citation]:
    return [
        Citation(
            source=c.source,
            title=c.title,
            doc_id=c.doc_id,
            chunk_id=c.id,
            score=c.score,
            snippet=c.content[:240],
        )
        for c in chunks
    ]


def _long_term_text(context: dict[str, Any] | None) -> str | None:
    if not context:
        return None
    facts = "; ".join(context.get("key_facts") or [])
    return "\n".join(p for p in (context.get("summary"), facts and f"Faits connus : {facts}") if p) or None


def _quote_text(lang: str, quote: QuoteSummary) -> str:
    line = text(lang, "quote", quote_id=quote.quote_id[:8], total=quote.total, currency=quote.currency)
    return line + (text(lang, "quote_link", url=quote.checkout_url) if quote.checkout_url else "")


def _refusal(lang: str) -> str:
    if lang == "en":
        return (
            "Sorry, I can't help with that message. I'm happy to help with our products, orders, "
            "delivery or returns — what can I do for you?"
        )
    return (
        "Désolé, je ne peux pas répondre à ce message. Je peux en revanche vous aider sur nos produits, "
        "commandes, livraisons ou retours : que puis-je faire pour vous ?"
    )
