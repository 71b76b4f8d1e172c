"""The LLM answer of a turn: the prompt, the completion (streamed to the visitor when someone
listens), the quote tool call, then the output guard step. None when the LLM failed or ran out of
its budget: the turn then answers without it (services/chat/policy.py `fallback`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from libs.common.events.chat import QuoteSummary
from libs.common.llm import LLMError, LLMUnavailable
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from services.chat import memory, remote
from services.chat.answer import Answer, Message, TurnState
from services.chat.deps import ChatDeps, ShopConfig
from services.chat.fallback import Chunk, text
from services.chat.guard_step import guard_answer
from services.chat.prompt import QUOTE_TOOL, PromptParts, build_messages
from services.chat.streaming import ReplyStream

log = get_logger(__name__)


class LlmAnswer:
    def __init__(self, ctx: HandlerContext, deps: ChatDeps, msg: Message, stream: ReplyStream,
                 waiting: Callable[[], contextlib.AbstractAsyncContextManager[None]],
                 timings: dict[str, float]) -> None:
        self.ctx = ctx
        self.deps = deps
        self.msg = msg
        self.stream = stream
        self.waiting = waiting  # around the LLM wait (the turn gives its slot back: services/chat/slots.py)
        self.timings = timings

    async def answer(self, shop: ShopConfig, state: TurnState, chunks: list[Chunk], small_talk: bool,
                     catalogue: list[str] | None = None) -> Answer | None:
        msg = self.msg
        parts = PromptParts(
            system_prompt=shop.prompt,
            facts=shop.facts,
            flags=msg.flags,
            language=msg.lang,
            chunks=chunks,
            summary=state.session.summary,
            recent=memory.recent(state.session, self.deps.settings.keep_recent_messages),
            visitor=[f"{kind} : {value}" for kind, value, _ in state.known if kind != "sentiment"][:12],
            long_term=_long_term_text(state.long_term),
            catalogue=catalogue or [],
        )
        messages = build_messages(parts, msg.req.message)
        tools = [QUOTE_TOOL] if ("quote" in msg.intents or "purchase" in msg.intents or catalogue) else None
        try:
            async with asyncio.timeout(self.deps.settings.llm_budget_s), self.waiting():
                llm_started = time.perf_counter()
                completion_text, tool_calls = await self._complete(messages, tools)
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
        reply = completion_text.strip() or ("" if quote else text(msg.lang, "unknown"))
        if quote is not None:
            reply = (reply + "\n\n" + _quote_text(msg.lang, quote)).strip()
        relevant = [c for c in chunks if c.relevant]
        answer = Answer(reply, "llm", None, relevant, quote=quote, unknown=not relevant and not small_talk)
        if msg.flags.conversation_guard:
            guard_started = time.perf_counter()
            await guard_answer(self.ctx, self.deps, msg, answer, parts, state)
            self.timings["guard_only"] = time.perf_counter() - guard_started
        return answer

    async def _complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
                        ) -> tuple[str, list[Any]]:
        if not self.stream.live:
            # nobody listens to deltas (a JSON turn): one plain completion, no event stream to parse
            completion = await self.deps.llm.complete(messages, tools=tools)
            return completion.content, list(completion.tool_calls)
        parts: list[str] = []
        calls: list[Any] = []
        async for event in self.deps.llm.stream(messages, tools=tools):
            if event.text:
                parts.append(event.text)
                await self.stream.delta(event.text)
            if event.completion is not None:
                calls = list(event.completion.tool_calls)
        await self.stream.delta("", flush=True)
        return "".join(parts), calls

    async def _quote(self, arguments: dict[str, Any], state: TurnState) -> QuoteSummary | None:
        email = next((e.value for e in self.msg.entities if e.type == "email"), None) or next(
            (v for kind, v, _ in state.known if kind == "email"), None
        )
        return await remote.create_quote(self.ctx, self.deps, arguments, session_id=self.msg.req.session_id,
                                         email=email)


def _long_term_text(context: dict[str, Any] | None) -> str | None:
    if not context:
        return None
    facts = "; ".join(context.get("key_facts") or [])
    return "\n".join(p for p in (context.get("summary"), facts and f"Faits connus : {facts}") if p) or None


def _quote_text(lang: str, quote: QuoteSummary) -> str:
    line = text(lang, "quote", quote_id=quote.quote_id[:8], total=quote.total, currency=quote.currency)
    return line + (text(lang, "quote_link", url=quote.checkout_url) if quote.checkout_url else "")
