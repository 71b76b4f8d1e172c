"""Message schemas owned by the RAG service (knowledge search, embeddings, ingestion)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from libs.common.messages import Message, message_type

MAX_QUERY_CHARS = 2_000
MAX_EMBED_TEXTS = 256
MAX_EMBED_CHARS = 20_000
MAX_DOCUMENT_CHARS = 2_000_000


@message_type("rag.search")
class SearchKnowledge(Message):
    """Hybrid (vector + full-text) search of the knowledge base."""

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    k: int = Field(5, ge=1, le=50)
    category: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=10)
    source: str | None = Field(None, max_length=2_000)
    # minimum cosine similarity a vector hit needs; full-text hits are kept by their rank
    threshold: float | None = Field(None, ge=-1.0, le=1.0)
    mode: str = Field("hybrid", pattern="^(hybrid|vector|fulltext)$")


class KnowledgeHit(Message):
    id: str
    content: str
    source: str | None
    category: str | None
    language: str | None
    score: float  # fused RRF score (hybrid) or cosine similarity / text rank (single mode)
    similarity: float | None  # cosine similarity when the vector side saw this chunk
    chunk_index: int | None
    total_chunks: int | None
    document_id: str | None
    metadata: dict[str, Any] = {}  # carries `doc_id` (a JSONL record's id) and `title`


@message_type("rag.search.results")
class KnowledgeSearchResults(Message):
    query: str
    hits: list[KnowledgeHit]
    table: str
    took_ms: float
    # the embedding model's cosine from which a hit is close on its own (None: the caller's own
    # threshold): models whose cosines run higher say so (services/rag/word_vectors.py)
    high_similarity: float | None = None


@message_type("rag.embed")
class EmbedTexts(Message):
    texts: list[str] = Field(min_length=1, max_length=MAX_EMBED_TEXTS)


@message_type("rag.embed.results")
class Embeddings(Message):
    model: str
    dim: int
    vectors: list[list[float]]


@message_type("knowledge.ingest")
class IngestDocument(Message):
    """Command: add or replace one document: text given inline, fetched from `url`, or read from the
    platform's file store at `file_key` (a file the console stored, e.g. an uploaded PDF)."""

    source: str = Field(min_length=1, max_length=2_000)
    text: str | None = Field(None, max_length=MAX_DOCUMENT_CHARS)
    url: str | None = Field(None, max_length=2_000)
    file_key: str | None = Field(None, max_length=500)
    doc_id: str | None = Field(None, max_length=500)
    title: str | None = Field(None, max_length=500)
    category: str | None = Field(None, max_length=200)
    language: str = Field("fr", max_length=10)
    format: str = Field("text", pattern="^(text|markdown|html|pdf)$")
    metadata: dict[str, Any] = {}


@message_type("knowledge.delete")
class DeleteKnowledgeSource(Message):
    """Command: delete every document ingested from `source`."""

    source: str = Field(min_length=1, max_length=2_000)


@message_type("knowledge.document.ingested")
class KnowledgeDocumentIngested(Message):
    document_id: str
    doc_key: str
    source: str
    category: str | None
    language: str
    chunk_count: int
    table: str
    replaced: bool


@message_type("knowledge.document.deleted")
class KnowledgeDocumentDeleted(Message):
    document_id: str
    doc_key: str
    source: str
    table: str
