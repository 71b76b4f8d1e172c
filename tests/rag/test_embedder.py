"""ONNX embeddings against the sentence-transformers reference, dimension handling, bad folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from libs.common.errors import ConfigurationError
from services.rag.embedder import Embedder
from services.rag.repo import chunk_table
from tests.rag.conftest import write_wide_model

DATA = Path(__file__).parent / "data"


def test_matches_pytorch_reference_on_1000_sentences(embedder: Embedder) -> None:
    sentences = json.loads((DATA / "reference_sentences.json").read_text(encoding="utf-8"))
    reference = np.load(DATA / "reference_minilm.npy").astype(np.float32)
    assert len(sentences) == 1000 and reference.shape == (1000, 384)
    ours = embedder.embed(sentences)
    cosines = (ours * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    assert cosines.mean() >= 0.99, cosines.mean()
    assert cosines.min() >= 0.95, cosines.min()


def test_dimension_is_read_from_the_graph_and_picks_the_table(embedder: Embedder, tmp_path: Path,
                                                              model_dir: Path) -> None:
    assert embedder.dim == 384 and chunk_table(embedder.dim) == "app_knowledge_chunks"
    wide = Embedder(write_wide_model(tmp_path / "wide", model_dir))
    assert wide.dim == 1024 and chunk_table(wide.dim) == "app_knowledge_chunks_v2"
    vectors = wide.embed(["bonjour", "une lampe"])
    assert vectors.shape == (2, 1024)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_unknown_dimension_is_a_clear_error(tmp_path: Path, model_dir: Path) -> None:
    odd = Embedder(write_wide_model(tmp_path / "odd", model_dir, dim=512))
    with pytest.raises(ConfigurationError, match="dimension 512 has no knowledge table"):
        chunk_table(odd.dim)


def test_missing_or_broken_model_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"has no model\.onnx"):
        Embedder(tmp_path)
    (tmp_path / "model.onnx").write_bytes(b"not a graph")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ConfigurationError, match="cannot load tokenizer"):
        Embedder(tmp_path)


def test_batching_and_cache_do_not_change_results(embedder: Embedder) -> None:
    texts = ["Livraison offerte dès 80 €.", "Une phrase nettement plus longue sur la garantie de cinq ans "
             "des luminaires, pièces et main-d'œuvre comprises.", "Retours sous 30 jours."]
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    embedder._cache.clear()
    together = embedder.embed(list(reversed(texts)))[::-1]
    # int8 activations are quantised per batch, so a text's vector moves slightly with its batch mates
    assert ((alone * together).sum(axis=1) > 0.99).all()
    again = embedder.embed([texts[0], texts[0]])
    assert np.array_equal(again[0], again[1]) and np.array_equal(again[0], together[0])


def test_long_input_is_truncated_not_failed(embedder: Embedder) -> None:
    vector = embedder.embed(["lampe " * 2000])
    assert vector.shape == (1, 384) and np.isfinite(vector).all()
