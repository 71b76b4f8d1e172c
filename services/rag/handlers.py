"""Request and command handlers of the RAG service: each takes its message, the handler context and
the runtime built at start-up (app.py)."""

from __future__ import annotations

import asyncio

from libs.common.errors import InvalidMessage, RemoteError
from libs.common.events.rag import (
    MAX_EMBED_CHARS,
    DeleteKnowledgeSource,
    Embeddings,
    EmbedTexts,
    IngestDocument,
    KnowledgeSearchResults,
    SearchKnowledge,
)
from libs.common.logging import get_logger
from libs.common.service import HandlerContext
from libs.storage import FileNotFound
from services.rag.fetch import fetch_url
from services.rag.ingest import Outcome
from services.rag.loaders import Defaults, LoadError, SourceDocument, document_from_content, pdf_text
from services.rag.runtime import RagRuntime

log = get_logger(__name__)


async def search(request: SearchKnowledge, ctx: HandlerContext, rt: RagRuntime) -> KnowledgeSearchResults:
    return await rt.search.search(request)


async def embed(request: EmbedTexts, ctx: HandlerContext, rt: RagRuntime) -> Embeddings:
    too_long = [i for i, text in enumerate(request.texts) if len(text) > MAX_EMBED_CHARS]
    if too_long:
        raise RemoteError("bad_request", f"texts {too_long[:10]} exceed {MAX_EMBED_CHARS} characters")
    vectors = await rt.embedder.embed(request.texts)
    return Embeddings(model=rt.embedder.model_name, dim=rt.embedder.dim,
                      vectors=[[round(float(x), 7) for x in row] for row in vectors])


async def knowledge_command(command: IngestDocument | DeleteKnowledgeSource, ctx: HandlerContext,
                            rt: RagRuntime) -> None:
    try:
        if isinstance(command, IngestDocument):
            await ingest(command, rt)
        else:
            await delete(command, rt)
    except LoadError as exc:
        # a document we cannot use will not get better on retry
        raise InvalidMessage(f"cannot ingest {exc.source}: {exc.reason}") from exc


async def ingest(command: IngestDocument, rt: RagRuntime) -> list[Outcome]:
    docs = await _documents(command, rt)
    outcomes = await rt.ingestor.ingest(docs)
    log.info("rag.ingested", source=command.source,
             statuses=[f"{o.doc_key}:{o.status}:{o.chunks}" for o in outcomes])
    return outcomes


async def delete(command: DeleteKnowledgeSource, rt: RagRuntime) -> list[str]:
    deleted = await rt.ingestor.delete_source(command.source)
    log.info("rag.deleted", source=command.source, documents=len(deleted))
    return deleted


async def _documents(command: IngestDocument, rt: RagRuntime) -> list[SourceDocument]:
    defaults = Defaults(category=command.category, language=command.language)
    if command.url:
        docs = await fetch_url(rt.http, command.url, defaults, rt.rag.fetch_max_bytes)
    elif command.file_key:
        docs = [await _stored_document(command, rt, defaults)]
    elif command.text is not None:
        docs = [document_from_content(command.source, command.text.encode(), command.format, defaults,
                                      command.title)]
    else:
        raise LoadError(command.source, "the command has neither `text`, `url` nor `file_key`")
    return [_with_command_identity(doc, command) for doc in docs]


async def _stored_document(command: IngestDocument, rt: RagRuntime, defaults: Defaults) -> SourceDocument:
    """A file another service stored (the console's uploads): read through the storage port."""
    assert command.file_key is not None
    try:
        stored = await rt.files.get(command.file_key)
    except FileNotFound as exc:
        raise LoadError(command.source, f"no stored file {command.file_key}") from exc
    if len(stored.data) > rt.rag.fetch_max_bytes:
        raise LoadError(command.source, f"too large ({len(stored.data)} bytes > {rt.rag.fetch_max_bytes})")
    if command.format == "pdf":
        text = await asyncio.to_thread(pdf_text, stored.data, command.source)
        return document_from_content(command.source, text.encode(), "text", defaults, command.title)
    return document_from_content(command.source, stored.data, command.format, defaults, command.title)


def _with_command_identity(doc: SourceDocument, command: IngestDocument) -> SourceDocument:
    metadata = {**doc.metadata, **command.metadata, **({"doc_id": command.doc_id} if command.doc_id else {})}
    return SourceDocument(doc_key=command.doc_id or command.source, source=command.source, text=doc.text,
                          format=doc.format, title=command.title or doc.title, category=doc.category,
                          language=doc.language, metadata=metadata)
