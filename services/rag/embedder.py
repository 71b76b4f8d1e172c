"""Sentence embeddings on onnxruntime: length-sorted batches, a bounded cache of repeated texts.

The model folder holds `model.onnx` and `tokenizer.json`. The dimension is read from the graph's
output, so a 1024-d model (bge-m3) is picked up without a setting. A graph whose output is already a
sentence embedding (rank 2) is used as is; a rank-3 output (last hidden state) is mean- or CLS-pooled
and normalised here.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from libs.common import metrics
from libs.common.errors import ConfigurationError
from services.rag.model_build import MAX_TOKENS, MODEL_FILE, TOKENIZER_FILE

Pooling = Literal["mean", "cls"]


class VectorCache:
    """A bounded LRU of text → vector, shared by the event loop (AsyncEmbedder reads it) and the
    inference thread (which writes it)."""

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            hit = self._data.get(text)
            if hit is not None:
                self._data.move_to_end(text)
            return hit

    def get_all(self, texts: Sequence[str]) -> list[np.ndarray] | None:
        """Every text's vector, or None (and nothing touched) when one is missing."""
        with self._lock:
            rows = [self._data.get(text) for text in texts]
            if not rows or any(row is None for row in rows):
                return None
            for text in texts:
                self._data.move_to_end(text)
            return [row for row in rows if row is not None]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def put(self, text: str, vector: np.ndarray) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._data[text] = vector
            if len(self._data) > self._size:
                self._data.popitem(last=False)


class TextEmbedder(Protocol):
    """What the service needs of a model: `Embedder` (ONNX) or `WordVectorEmbedder` (word vectors)."""

    dim: int  # the stored width, which names the knowledge table
    model_name: str
    batch_size: int
    # a cosine from which a hit is close to the question on its own, when the model's cosines run
    # higher than the chat's default threshold assumes (None: the chat's setting, CHAT_MIN_RELEVANCE)
    high_similarity: float | None

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...
    def cached(self, texts: Sequence[str]) -> np.ndarray | None: ...
    def token_count(self, text: str) -> int: ...
    def tokenize_offsets(self, text: str) -> list[tuple[int, int]]: ...


class Embedder:
    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int = 0,
        batch_size: int = 32,
        cache_size: int = 4096,
        pooling: Pooling = "mean",
        max_tokens: int = MAX_TOKENS,
        max_batch_tokens: int = 1024,
    ) -> None:
        model_path, tokenizer_path = model_dir / MODEL_FILE, model_dir / TOKENIZER_FILE
        for path in (model_path, tokenizer_path):
            if not path.is_file():
                raise ConfigurationError(f"embedding model folder {model_dir} has no {path.name}")
        try:
            self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # tokenizers raises a bare Exception on a bad file
            raise ConfigurationError(f"cannot load tokenizer {tokenizer_path}: {exc}") from exc
        self.tokenizer.no_padding()
        # the chunker must see every token of a long text; inference truncates at the model's limit
        self.counter = Tokenizer.from_str(self.tokenizer.to_str())
        self.counter.no_truncation()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.session = _session(model_path, threads)
        self._inputs = {i.name for i in self.session.get_inputs()}
        out = self.session.get_outputs()[0]
        self._pooled = len(out.shape) == 2
        self.dim = _dimension(out.shape, model_path)
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.pooling: Pooling = pooling
        self.model_name = model_dir.name
        self.high_similarity: float | None = None
        self._cache = VectorCache(cache_size)

    def token_count(self, text: str) -> int:
        return len(self.counter.encode(text, add_special_tokens=False).ids)

    def tokenize_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token (no special tokens): lets the chunker cut at token bounds."""
        return list(self.counter.encode(text, add_special_tokens=False).offsets)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text, in input order."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            hit = self._cache.get(text)
            if hit is not None:
                out[i] = hit
            else:
                missing.setdefault(text, []).append(i)
        metrics.embedded_texts.labels(self.model_name, "hit").inc(len(texts) - sum(map(len, missing.values())))
        if missing:
            unique = list(missing)
            with metrics.embedding_seconds.labels(self.model_name).time():
                vectors = self._embed_uncached(unique)
            metrics.embedded_texts.labels(self.model_name, "miss").inc(len(unique))
            for text, vector in zip(unique, vectors, strict=True):
                out[missing[text]] = vector
                self._cache.put(text, vector)
        return out

    def cached(self, texts: Sequence[str]) -> np.ndarray | None:
        """The embeddings when every text is in the cache (no inference needed), else None."""
        rows = self._cache.get_all(texts)
        if rows is None:
            return None
        metrics.embedded_texts.labels(self.model_name, "hit").inc(len(texts))
        return np.stack(rows)

    def _embed_uncached(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        result = np.empty((len(texts), self.dim), dtype=np.float32)
        for batch in self._batches(order, [len(e.ids) for e in encodings]):
            result[batch] = self._run([encodings[i].ids for i in batch])
        return result

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Consecutive runs of the length-sorted order, bounded in texts and in padded tokens.

        The token bound keeps the attention buffers (batch × heads × length²) small for long texts,
        which is most of the service's peak memory; short texts still go in full batches.
        """
        batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            if current and (len(current) >= self.batch_size
                            or (len(current) + 1) * lengths[i] > self.max_batch_tokens):
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
        return batches

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(seq) for seq in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        output = np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)
        if self._pooled:
            return output
        return _normalise(_pool(output, mask, self.pooling))


def _session(model_path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads > 0:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # without the arena, memory used by one long batch is given back instead of kept for the process life
    options.enable_cpu_mem_arena = False
    # idle worker threads sleep instead of spinning: on a machine shared with Postgres, RabbitMQ and the
    # other services, spinning burns CPU the others need (docs/benchmarks.md, "Measured choices in the code")
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors on a bad file
        raise ConfigurationError(f"cannot load ONNX model {model_path}: {exc}") from exc


def _dimension(shape: Sequence[object], model_path: Path) -> int:
    dim = shape[-1]
    if not isinstance(dim, int) or len(shape) not in (2, 3):
        raise ConfigurationError(
            f"{model_path}: first output must be [batch, dim] or [batch, seq, dim] with a fixed dim, "
            f"got {list(shape)}"
        )
    return dim


def _pool(hidden: np.ndarray, mask: np.ndarray, pooling: Pooling) -> np.ndarray:
    if pooling == "cls":
        return np.asarray(hidden[:, 0, :], dtype=np.float32)
    weights = mask[:, :, None].astype(np.float32)
    pooled: np.ndarray = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normalised: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised


class AsyncEmbedder:
    """Runs the embedder off the event loop, one inference at a time (it already uses every core).

    Requests that arrive while an inference runs wait together and go in the next one as a single
    batch (up to the embedder's batch size in texts): under load, concurrent visitors' query
    embeddings share one ONNX call instead of one call each (docs/benchmarks.md, issue 11). A request
    alone is run at once, without waiting for company.
    """

    def __init__(self, embedder: TextEmbedder) -> None:
        self.embedder = embedder
        self.dim = embedder.dim
        self.model_name = embedder.model_name
        self.high_similarity = embedder.high_similarity
        self._pending: list[tuple[Sequence[str], asyncio.Future[np.ndarray]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        # a repeated text (a popular question) answers at once: no thread hop, no wait behind a long
        # inference (word vectors answer every short text so)
        hit = self.embedder.cached(texts)
        if hit is not None:
            return hit
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._pending.append((texts, future))
        if self._runner is None:
            self._runner = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        waiting: list[tuple[Sequence[str], asyncio.Future[np.ndarray]]] = []
        try:
            while self._pending:
                waiting = [(texts, future) for texts, future in self._take() if not future.done()]
                if not waiting:
                    continue
                joined = [text for texts, _ in waiting for text in texts]
                try:
                    vectors = await asyncio.to_thread(self.embedder.embed, joined)
                except Exception as exc:  # every caller of the batch sees the failure
                    for _, future in waiting:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                start = 0
                for texts, future in waiting:
                    if not future.done():
                        future.set_result(vectors[start:start + len(texts)])
                    start += len(texts)
        except BaseException:  # cancelled (shutdown): no caller is left waiting for ever
            for _, future in [*waiting, *self._pending]:
                future.cancel()
            self._pending.clear()
            raise
        finally:
            self._runner = None

    def _take(self) -> list[tuple[Sequence[str], asyncio.Future[np.ndarray]]]:
        """The oldest request, and the next ones while the texts fit in one batch."""
        taken = [self._pending[0]]
        size = len(self._pending[0][0])
        for texts, future in self._pending[1:]:
            if size + len(texts) > self.embedder.batch_size:
                break
            taken.append((texts, future))
            size += len(texts)
        del self._pending[:len(taken)]
        return taken
