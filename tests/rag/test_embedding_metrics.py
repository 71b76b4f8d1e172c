"""Embedding time and cache hits reach the platform metrics; concurrent embeddings share inferences."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import numpy as np

from libs.common import metrics
from services.rag.embedder import AsyncEmbedder, Embedder


def _value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_embedding_time_and_cache_are_counted(embedder: Embedder) -> None:
    model = embedder.model_name
    before = {key: _value(name, model=model, **extra) for key, name, extra in (
        ("calls", "comptoir_embedding_seconds_count", {}),
        ("miss", "comptoir_embedded_texts_total", {"cache": "miss"}),
        ("hit", "comptoir_embedded_texts_total", {"cache": "hit"}))}
    texts = [f"livraison en Belgique {uuid.uuid4().hex}", f"retour sous trente jours {uuid.uuid4().hex}"]
    fast = AsyncEmbedder(embedder)
    await fast.embed(texts)
    await fast.embed(texts)  # every text cached now: no inference
    assert _value("comptoir_embedding_seconds_count", model=model) == before["calls"] + 1
    assert _value("comptoir_embedded_texts_total", model=model, cache="miss") == before["miss"] + 2
    assert _value("comptoir_embedded_texts_total", model=model, cache="hit") == before["hit"] + 2


async def test_concurrent_requests_share_one_inference_in_order(embedder: Embedder) -> None:
    fast = AsyncEmbedder(embedder)
    texts = [f"question {i} {uuid.uuid4().hex}" for i in range(7)]
    before = _value("comptoir_embedding_seconds_count", model=embedder.model_name)
    # five visitors ask at once: they queue before the runner starts and share one inference
    first = [asyncio.create_task(fast.embed([t])) for t in texts[:5]]
    await asyncio.sleep(0)
    # two more arrive while that inference runs: they wait together for the next one
    later = [asyncio.create_task(fast.embed([t])) for t in texts[5:]]
    together = await asyncio.gather(*first, *later)
    assert _value("comptoir_embedding_seconds_count", model=embedder.model_name) == before + 2
    alone = embedder.embed(texts)
    for row, vectors in zip(alone, together, strict=True):
        assert vectors.shape == (1, embedder.dim)
        assert np.allclose(vectors[0], row, atol=1e-5)


async def test_a_failed_inference_fails_its_callers_and_the_next_one_runs(embedder: Embedder) -> None:
    fast = AsyncEmbedder(embedder)
    real = embedder.embed
    calls = 0

    def failing_once(texts: Sequence[str]) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("onnx session lost")
        return real(texts)

    embedder.embed = failing_once  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(
            fast.embed([f"a {uuid.uuid4().hex}"]), fast.embed([f"b {uuid.uuid4().hex}"]),
            return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)
        again = await fast.embed([f"c {uuid.uuid4().hex}"])
        assert again.shape == (1, embedder.dim)
    finally:
        del embedder.embed
