"""RAG service wiring: `rag.search` and `rag.embed` requests, `knowledge.*` commands.

The runtime (model, search, ingestor) is built once at start-up and handed to every handler
(services/rag/handlers.py); tests may pass their own as `running(deps={"rag": runtime})`.
"""

from __future__ import annotations

from libs.common.service import HandlerContext, ServiceApp
from services.rag import handlers
from services.rag.runtime import RagRuntime, open_runtime


async def build_deps(ctx: HandlerContext) -> RagRuntime:
    given: RagRuntime | None = ctx.deps.get("rag")
    return given if given is not None else await open_runtime(ctx.settings, ctx.pool)


async def close_deps(runtime: RagRuntime) -> None:
    await runtime.close()


svc = ServiceApp("rag", deps=build_deps, close=close_deps)
svc.on_request("rag.search", read_only=True)(handlers.search)
svc.on_request("rag.embed", read_only=True)(handlers.embed)
svc.on_event("knowledge.ingest", "knowledge.delete", queue="rag.ingest", prefetch=4)(handlers.knowledge_command)
