"""Embedding time and cache hits reach the platform metrics (libs.common.metrics)."""

from __future__ import annotations

import uuid

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
