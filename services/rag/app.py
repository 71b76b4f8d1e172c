"""RAG service wiring: `rag.search` and `rag.embed` requests, `knowledge.*` commands."""

from __future__ import annotations

from libs.common.errors import InvalidMessage
from libs.common.events.rag import (
    DeleteKnowledgeSource,
    Embeddings,
    EmbedTexts,
    IngestDocument,
    KnowledgeSearchResults,
    SearchKnowledge,
)
from libs.common.service import HandlerContext, ServiceApp
from services.rag import handlers
from services.rag.loaders import LoadError
from services.rag.runtime import RagRuntime, open_runtime

svc = ServiceApp("rag")


def _runtime(ctx: HandlerContext) -> RagRuntime:
    runtime: RagRuntime = ctx.deps["rag"]
    return runtime


@svc.on_startup
async def start(ctx: HandlerContext) -> None:
    if "rag" not in ctx.deps:  # tests may hand in a runtime of their own
        ctx.deps["rag"] = await open_runtime(ctx.settings, ctx.pool)


@svc.on_shutdown
async def stop(ctx: HandlerContext) -> None:
    await _runtime(ctx).close()


@svc.on_request("rag.search")
async def on_search(request: SearchKnowledge, ctx: HandlerContext) -> KnowledgeSearchResults:
    return await handlers.search(request, _runtime(ctx))


@svc.on_request("rag.embed")
async def on_embed(request: EmbedTexts, ctx: HandlerContext) -> Embeddings:
    return await handlers.embed(request, _runtime(ctx))


@svc.on_event("knowledge.ingest", "knowledge.delete", queue="rag.ingest", prefetch=4)
async def on_knowledge_command(command: IngestDocument | DeleteKnowledgeSource, ctx: HandlerContext) -> None:
    try:
        if isinstance(command, IngestDocument):
            await handlers.ingest(command, _runtime(ctx))
        else:
            await handlers.delete(command, _runtime(ctx))
    except LoadError as exc:
        # a document we cannot use will not get better on retry
        raise InvalidMessage(f"cannot ingest {exc.source}: {exc.reason}") from exc
