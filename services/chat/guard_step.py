"""The output guard step of an LLM answer: the reply is checked (in process, else by
security.guard_output) before anyone sees it in full; a refused reply is replaced."""

from __future__ import annotations

from libs.common.service import HandlerContext
from services.chat import remote
from services.chat.answer import Answer, Message, TurnState
from services.chat.deps import ChatDeps
from services.chat.entities import contacts_in
from services.chat.prompt import PromptParts, known_facts, system_message


async def guard_answer(ctx: HandlerContext, deps: ChatDeps, msg: Message, answer: Answer, parts: PromptParts,
                       state: TurnState) -> None:
    # the visitor's own contacts, and the shop's published e-mails and numbers wherever a fact names them
    allowed = [*msg.contacts(), *state.known_contacts()]
    allowed += [c for value in known_facts(parts.facts).values() for c in contacts_in(value)]
    answer.reply, replaced = await remote.guard(
        ctx,
        deps,
        answer.reply,
        canary=parts.canary,
        system_prompt=system_message(parts),
        session_id=msg.req.session_id,
        locale=msg.lang,
        allowed=allowed,
    )
    if replaced:
        answer.fallback_reason, answer.blocked = "output_guard", True
