"""Chat service wiring: request handlers and the resources made at start-up.

Tests and `comptoir up` may pass `deps={"chat_settings": ChatSettings(...), "llm_settings":
LLMSettings(...)}` to `svc.running(...)` to override the environment.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from libs.common import broker
from libs.common.llm import LLMClient, LLMSettings
from libs.common.logging import get_logger
from libs.common.service import HandlerContext, ServiceApp
from services.chat import handlers
from services.chat.config import ChatSettings
from services.chat.context_embedding import ContextEmbedder
from services.chat.deps import ChatDeps, ConfigCache, DeltaPublisher, LocalGuard
from services.chat.flags import FlagWatcher
from services.chat.persist import store_context_embedding

log = get_logger(__name__)
svc = ServiceApp("chat")
svc.on_request("chat.turn", prefetch=128)(handlers.turn)
svc.on_request("chat.get_history")(handlers.history)
svc.on_request("chat.reset_session")(handlers.reset)


def _local_screener() -> Any | None:
    """The security service's in-process screener, used when security.screen does not answer."""
    try:
        from services.security.screening import Screener
    except ImportError as exc:
        log.warning("local_screener_unavailable", error=str(exc))
        return None
    try:
        return Screener()
    except Exception as exc:  # e.g. its model file is missing: the rules alone still catch known attacks
        log.warning("local_screener_rules_only", error=str(exc))
    try:
        return Screener(model=False)
    except Exception as exc:  # optional: without it, a security outage lets messages through
        log.warning("local_screener_unavailable", error=str(exc))
        return None


def _local_guard() -> LocalGuard | None:
    """The security service's output check with its settings (SECURITY_SECRETS, overlap threshold)."""
    try:
        guard = importlib.import_module("services.security.output_guard")
        config = importlib.import_module("services.security.config")
        security = config.SecuritySettings()
    except Exception as exc:  # optional: without it, every reply is checked by security.guard_output
        log.warning("local_output_guard_unavailable", error=str(exc))
        return None
    return LocalGuard(
        guard.prompt_shingles, guard.fingerprint, guard.check_output, tuple(security.secrets), security.overlap_block
    )


@svc.on_startup
async def start(ctx: HandlerContext) -> None:
    settings: ChatSettings = ctx.deps.get("chat_settings") or ChatSettings()
    llm_settings: LLMSettings = ctx.deps.get("llm_settings") or LLMSettings()
    flags = FlagWatcher(ctx.settings, ctx.pool, settings.flags_poll_s)
    await flags.start()
    connection = await broker.connect(ctx.settings, name="chat-stream")
    channel = await connection.channel()
    ctx.deps["chat_stream_connection"] = connection
    ctx.deps["chat"] = deps = ChatDeps(
        settings=settings,
        llm=LLMClient(llm_settings),
        flags=flags,
        config=ConfigCache(ctx.pool, settings.config_cache_s),
        publisher=DeltaPublisher(channel),
        screener=_local_screener(),
        guard=_local_guard() if settings.local_output_guard else None,
    )
    deps.contexts = ContextEmbedder(
        functools.partial(store_context_embedding, ctx, deps),
        settings.context_embed_delay_s,
        settings.context_embed_max_wait_s,
    )
    log.info("chat_ready", llm=llm_settings.configured, model=llm_settings.model if llm_settings.configured else None)


@svc.on_shutdown
async def stop(ctx: HandlerContext) -> None:
    deps: ChatDeps | None = ctx.deps.get("chat")
    if deps is not None:
        if deps.contexts is not None:
            await deps.contexts.stop()
        await deps.flags.stop()
        await deps.llm.aclose()
    connection = ctx.deps.get("chat_stream_connection")
    if connection is not None:
        await connection.close()
