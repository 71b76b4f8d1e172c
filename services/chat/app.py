"""Chat service wiring: request handlers and the resources made at start-up.

The deps (ChatDeps) are built once by `build_deps` and handed to every handler. Tests and
`comptoir up` may pass `deps={"chat_settings": ChatSettings(...), "llm_settings":
LLMSettings(...), "guard_settings": GuardSettings(...)}` to `svc.running(...)` to override the environment.
"""

from __future__ import annotations

import functools

from libs.common import broker
from libs.common.flags import FlagWatcher
from libs.common.llm import LLMClient, LLMSettings
from libs.common.logging import get_logger
from libs.common.service import HandlerContext, ServiceApp
from libs.guard.screening import Screener
from libs.guard.settings import GuardSettings
from services.chat import conversations, handlers, handoff_webhook, lead_updates, maintenance, purchases
from services.chat.config import ChatSettings
from services.chat.context_embedding import ContextEmbedder
from services.chat.deps import ChatDeps, ConfigCache, DeltaPublisher
from services.chat.persist import store_context_embedding

log = get_logger(__name__)


def _local_screener(guard: GuardSettings) -> Screener | None:
    """The screener the security service runs (same GuardSettings), used when the gateway could not
    screen a message or security.screen does not answer."""
    try:
        return guard.screener()
    except Exception as exc:  # e.g. a classifier folder or model file that does not load
        log.warning("local_screener_degraded", error=str(exc))
    try:
        return Screener(guard.thresholds(), model=False)  # the rules alone still catch known attacks
    except Exception as exc:  # optional: without it, a security outage lets messages through
        log.warning("local_screener_unavailable", error=str(exc))
        return None


async def build_deps(ctx: HandlerContext) -> ChatDeps:
    settings: ChatSettings = ctx.deps.get("chat_settings") or ChatSettings()
    llm_settings: LLMSettings = ctx.deps.get("llm_settings") or LLMSettings()
    guard: GuardSettings = ctx.deps.get("guard_settings") or GuardSettings()
    flags = FlagWatcher(ctx.settings, ctx.pool, settings.flags_poll_s)
    await flags.start()
    connection = await broker.connect(ctx.settings, name="chat-stream")
    channel = await connection.channel()
    deps = ChatDeps(
        settings=settings,
        llm=LLMClient(llm_settings),
        flags=flags,
        config=ConfigCache(ctx.pool, settings.config_cache_s),
        publisher=DeltaPublisher(channel),
        screener=_local_screener(guard),
        guard=guard.output_guard() if settings.local_output_guard else None,
        stream_connection=connection,
    )
    if settings.context_embeddings:  # off by default: nothing reads the vector (docs/rag.md)
        deps.contexts = ContextEmbedder(
            functools.partial(store_context_embedding, ctx, deps),
            settings.context_embed_delay_s,
            settings.context_embed_max_wait_s,
        )
    log.info("chat_ready", llm=llm_settings.configured, model=llm_settings.model if llm_settings.configured else None)
    return deps


async def close_deps(deps: ChatDeps) -> None:
    if deps.contexts is not None:
        await deps.contexts.stop()
    await deps.flags.stop()
    await deps.llm.aclose()
    if deps.stream_connection is not None:
        await deps.stream_connection.close()


svc = ServiceApp("chat", deps=build_deps, close=close_deps)
maintenance.register(svc)  # expired sessions (chat_config.sessionTtlDays) in `chat.maintenance.prune`
svc.on_request("chat.turn", prefetch=128, writes=True)(handlers.turn)
svc.on_request("chat.get_history", read_only=True)(handlers.history)
svc.on_request("chat.reset_session", writes=True)(handlers.reset)
# the owner console (services/chat/conversations.py)
svc.on_request("chat.list_conversations", read_only=True)(conversations.list_conversations)
svc.on_request("chat.get_conversation", read_only=True)(conversations.get_conversation)
svc.on_request("chat.takeover", writes=True)(conversations.takeover)
svc.on_request("chat.handback", writes=True)(conversations.handback)
svc.on_request("chat.post_human_message", writes=True)(conversations.post_human_message)
svc.on_request("chat.update_lead", writes=True)(lead_updates.update_lead)  # agents' update_lead tool
svc.on_event("chat.handoff.requested", queue="chat.handoff_webhook")(handoff_webhook.post_handoff)
# chat owns app_leads: a purchase billing announces is recorded on the lead here (services/chat/purchases.py)
svc.on_event("payment.completed", queue="chat.purchases")(purchases.record_purchase)
