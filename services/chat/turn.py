"""One chat turn: screen, search, decide (services/chat/policy.py), answer, remember, reply.

Screening, knowledge search and the session read run concurrently; the policy decides how to
answer; an LLM answer (services/chat/llm_answer.py) streams to the gateway while it is generated
(services/chat/streaming.py) and goes through the output guard (services/chat/guard_step.py);
everything the turn changes (session, entities, lead, long-term context, outbox events) commits in
one short transaction at the end (services/chat/persist.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace

from libs.common.events.chat import ChatTurn, ChatTurnReply
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from services.chat import conversations, memory, policy, prices, quote_turn, remote, repo
from services.chat.answer import Answer, Message, TurnState, citations
from services.chat.deps import ChatDeps, ShopConfig
from services.chat.entities import extract
from services.chat.fallback import Chunk, grounded_answer, is_small_talk, language_of, text
from services.chat.llm_answer import LlmAnswer
from services.chat.persist import TurnRecord, context_key, persist
from services.chat.prompt import known_facts
from services.chat.slots import Slot
from services.chat.streaming import ReplyStream

log = get_logger(__name__)


class Turn:
    def __init__(self, req: ChatTurn, ctx: HandlerContext, deps: ChatDeps, slot: Slot | None = None) -> None:
        self.req = req
        self.slot = slot
        self.ctx = ctx
        self.deps = deps
        self.msg = Message(req, language_of(req.message, req.locale), deps.flags.current, extract(req.message))
        self.lang = self.msg.lang
        self.timings: dict[str, float] = {}
        self.stream = ReplyStream(req, deps.publisher, enabled=deps.settings.stream_deltas,
                                  interval_s=deps.settings.stream_interval_s)
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
        held = policy.before_search(human_holds=conversations.human_holds(state.session.metadata),
                                    blocked=screen.blocked)
        if held is not None:
            await _cancel(searching)  # an adviser holds the conversation: stored for them, no LLM call
            return await conversations.store_for_human(self.req, self.ctx, self.lang)
        if screen.blocked:
            await _cancel(searching)
            answer = Answer(screen.safe_reply or _refusal(self.lang), fallback_reason="blocked", blocked=True)
        else:
            chunks = await searching
            self.timings["search"] = time.perf_counter() - started
            answer = await self._answer(shop, state, chunks)
            if answer.metadata_update is None and quote_turn.PENDING in state.session.metadata:
                answer.metadata_update = {quote_turn.PENDING: None}  # the open quote question was not answered
        self.timings["answer"] = time.perf_counter() - started
        cited = citations(answer.chunks)
        await self.stream.close(answer.reply, cited, replaces_stream=answer.replaces_stream)
        record = TurnRecord(msg=self.msg, answer=answer, citations=cited, off_topic=self.off_topic,
                            expired=self.expired)
        outcome = await persist(self.ctx, self.deps, record, state.loaded, state.context)
        self.timings["persist"] = time.perf_counter() - started
        log.debug("turn_timings", mode=answer.mode, **{k: round(v * 1000, 2) for k, v in self.timings.items()})
        return ChatTurnReply(
            session_id=self.req.session_id,
            request_id=self.req.request_id,
            reply=answer.reply,
            citations=cited,
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
            flags=self.msg.flags,
            security_unavailable=self.req.security_unavailable,
        )

    async def _load(self) -> TurnState:
        async with self.ctx.pool.acquire() as conn:
            session, known, context = await repo.turn_state(conn, self.req.session_id, context_key(self.req))
        loaded = replace(session, messages=list(session.messages), metadata=dict(session.metadata))
        return TurnState(session, known, context, loaded)

    # ---- answering ----------------------------------------------------------------------------
    async def _answer(self, shop: ShopConfig, state: TurnState, chunks: list[Chunk]) -> Answer:
        if memory.expired(state.session, shop.setting("sessionTtlDays", 90)):
            self.expired = True
            state.session = repo.SessionRow(state.session.session_id)
            state.known = []
        catalogue = await quote_turn.plan(self.ctx, self.deps, self.req.message, state.session.metadata)
        situation = replace(self._situation(shop, state, chunks), catalogue_request=catalogue is not None,
                            quote_question_answered=catalogue is not None and catalogue.answered_question)
        route = policy.route(situation)
        self.off_topic = route.weighed and situation.off_topic
        if route.action == "catalogue" and catalogue is not None:
            email = next(iter(e.value for e in self.msg.entities if e.type == "email"), None) or next(
                (v for kind, v, _ in state.known if kind == "email"), None)
            return await quote_turn.answer(self.ctx, self.deps, catalogue, session_id=self.req.session_id,
                                           email=email, lang=self.lang)
        if route.action == "llm":
            llm = await self._llm().answer(shop, state, chunks, situation.small_talk,
                                           quote_turn.catalogue_lines(catalogue))
            if llm is not None:
                await prices.check(self.ctx, self.deps, llm, self.lang)
                return llm
            route = policy.fallback(situation, "llm_error")
        answer = self._answer_for(route, shop, state, chunks)
        await prices.check(self.ctx, self.deps, answer, self.lang)  # FAQ text may quote old prices
        return answer

    def _situation(self, shop: ShopConfig, state: TurnState, chunks: list[Chunk]) -> policy.Situation:
        meta, flags = state.session.metadata, self.msg.flags
        return policy.Situation(
            turns=memory.turns(state.session),
            max_turns=shop.setting("maxTurns", 50),
            intents=frozenset(self.msg.intents),
            relevant=any(c.relevant for c in chunks),
            small_talk=is_small_talk(self.req.message),
            topic_lock=flags.topic_lock,
            off_topic_streak=int(meta.get("off_topic_streak", 0)),
            topic_lock_turns=shop.setting("topicLockTurns", 3),
            unknown_streak=int(meta.get("unknown_streak", 0)),
            llm_unavailable=self._no_llm_reason(),
        )

    def _answer_for(self, route: policy.Route, shop: ShopConfig, state: TurnState, chunks: list[Chunk]) -> Answer:
        """The answer of a route that needs no LLM."""
        brand = known_facts(shop.facts).get("brand_name", "notre boutique")
        if route.action == "handoff":
            return Answer(self._handoff_text(brand, state), fallback_reason="handoff", handoff_reason=route.reason)
        if route.action == "canned":
            return Answer(text(self.lang, route.text or "unknown", brand=brand), fallback_reason=route.reason)
        if route.action == "greeting":
            return Answer(text(self.lang, "greeting", brand=brand), "grounded", route.reason)
        reply, used = grounded_answer(self.req.message, self.lang, chunks, shop.facts, self.msg.intents)
        return Answer(reply, "grounded", route.reason, used, unknown=not used)

    def _no_llm_reason(self) -> str | None:
        if self.msg.flags.kill_switch:
            return "kill_switch"
        if not self.deps.llm.settings.configured:
            return "not_configured"
        if not self.deps.llm.available:
            return "breaker_open"
        return None

    def _handoff_text(self, brand: str, state: TurnState) -> str:
        has_contact = bool(self.msg.contacts()) or bool(state.known_contacts())
        contact = text(self.lang, "contact_known" if has_contact else "contact_unknown")
        return text(self.lang, "handoff", brand=brand, contact=contact)

    def _llm(self) -> LlmAnswer:
        return LlmAnswer(self.ctx, self.deps, self.msg, self.stream, self._waiting, self.timings)

    def _waiting(self) -> contextlib.AbstractAsyncContextManager[None]:
        """The LLM wait gives this turn's slot back (services/chat/slots.py)."""
        if self.slot is None:
            return contextlib.nullcontext()
        return self.deps.slots.waiting(self.slot)


async def _cancel(task: asyncio.Task[list[Chunk]]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


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
