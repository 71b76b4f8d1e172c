"""Ingestion and hybrid search on the real Postgres (pgvector, full-text), events in the outbox."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from libs.common.errors import RemoteError
from libs.common.events.rag import SearchKnowledge
from services.rag.config import RagSettings
from services.rag.embedder import Embedder
from services.rag.loaders import SourceDocument
from services.rag.runtime import RagRuntime, open_runtime
from tests.rag.conftest import write_wide_model

PASSAGES = {
    "frais": "La livraison est offerte dès 80 € d'achat. En dessous, les frais de port sont de 5,90 €.",
    "retours": "Vous disposez de 30 jours après réception pour nous retourner un article.",
    "orsay": "La suspension Orsay est un globe en verre soufflé de 40 cm. Prix : 289 €.",
    "laiton": "Pour rendre son éclat au laiton, frottez-le avec du vinaigre blanc et du sel.",
}


def _docs(tag: str, category: str = "faq", language: str = "fr", **texts: str) -> list[SourceDocument]:
    items = texts or PASSAGES
    return [SourceDocument(doc_key=f"{tag}-{key}", source=f"{tag}.jsonl", text=text, format="markdown",
                           category=category, language=language, metadata={"doc_id": f"{tag}-{key}"})
            for key, text in items.items()]


def _tag() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


async def _search(rt: RagRuntime, query: str, **kw: object) -> list[str]:
    results = await rt.search.search(SearchKnowledge(query=query, **kw))
    return [str(h.metadata.get("doc_id")) for h in results.hits]


async def test_ingest_then_search_returns_citation_data(rag_runtime: RagRuntime) -> None:
    tag = _tag()
    outcomes = await rag_runtime.ingestor.ingest(_docs(tag))
    assert [o.status for o in outcomes] == ["added"] * 4
    results = await rag_runtime.search.search(SearchKnowledge(query="Combien coûtent les frais d'envoi ?",
                                                              source=f"{tag}.jsonl", k=3))
    top = results.hits[0]
    assert top.metadata["doc_id"] == f"{tag}-frais" and top.source == f"{tag}.jsonl"
    assert top.chunk_index == 0 and top.total_chunks == 1 and top.category == "faq"
    assert top.similarity is not None and top.score > 0 and results.table == "app_knowledge_chunks"


async def test_filters_category_language_source(rag_runtime: RagRuntime) -> None:
    tag = _tag()
    await rag_runtime.ingestor.ingest(_docs(tag, category=f"{tag}-a"))
    await rag_runtime.ingestor.ingest(_docs(f"{tag}en", category=f"{tag}-b", language="en",
                                            x="Shipping is free from 80 euros."))
    in_a = await _search(rag_runtime, "livraison gratuite", category=f"{tag}-a", k=10)
    assert in_a and all(d.startswith(f"{tag}-") for d in in_a)
    english = await _search(rag_runtime, "free shipping", language="en", category=f"{tag}-b")
    assert english == [f"{tag}en-x"]
    by_source = await _search(rag_runtime, "laiton", source=f"{tag}.jsonl", k=10)
    assert by_source[0] == f"{tag}-laiton" and len(by_source) <= 4


async def test_full_text_folds_accents_and_stems_french(rag_runtime: RagRuntime) -> None:
    tag = _tag()
    await rag_runtime.ingestor.ingest(_docs(tag))
    hits = await _search(rag_runtime, "eclat laiton VINAIGRE", mode="fulltext", source=f"{tag}.jsonl")
    assert hits == [f"{tag}-laiton"]
    hits = await _search(rag_runtime, "retourner les articles recus", mode="fulltext", source=f"{tag}.jsonl")
    assert hits[0] == f"{tag}-retours"


async def test_threshold_drops_weak_vector_hits(rag_runtime: RagRuntime) -> None:
    tag = _tag()
    await rag_runtime.ingestor.ingest(_docs(tag))
    loose = await _search(rag_runtime, "zèbre astronaute", mode="vector", source=f"{tag}.jsonl",
                          threshold=-1.0, k=10)
    strict = await _search(rag_runtime, "zèbre astronaute", mode="vector", source=f"{tag}.jsonl",
                           threshold=0.9, k=10)
    assert len(loose) == 4 and strict == []


async def test_the_threshold_spares_hits_the_lexical_leg_found(rag_runtime: RagRuntime) -> None:
    """An English question over French pages: MiniLM's cosine to the right passage is under the 0.2
    threshold, yet its French rendering's terms (libs.lexical.glossary) find it: kept, and first."""
    tag = _tag()
    await rag_runtime.ingestor.ingest(_docs(tag, suisse="Nous livrons la Belgique, la Suisse et l'Italie en 4 à 7 "
                                            "jours ouvrés.", **PASSAGES))
    results = await rag_runtime.search.search(SearchKnowledge(query="Do you ship to Switzerland?",
                                                              source=f"{tag}.jsonl", k=3, threshold=0.2))
    assert results.hits and results.hits[0].metadata["doc_id"] == f"{tag}-suisse"
    assert results.hits[0].similarity is not None and results.hits[0].similarity < 0.2
    vector_only = await _search(rag_runtime, "Do you ship to Switzerland?", mode="vector", source=f"{tag}.jsonl",
                                threshold=0.2, k=5)
    assert f"{tag}-suisse" not in vector_only  # the vector leg alone still drops it


async def test_reingest_skips_unchanged_and_replaces_changed(rag_runtime: RagRuntime, pool: asyncpg.Pool
                                                             ) -> None:
    tag = _tag()
    await rag_runtime.ingestor.ingest(_docs(tag))
    again = await rag_runtime.ingestor.ingest(_docs(tag))
    assert [o.status for o in again] == ["unchanged"] * 4
    changed = dict(PASSAGES, frais="Frais de port : 4,90 €. " * 80)
    outcomes = await rag_runtime.ingestor.ingest(_docs(tag, **changed))
    statuses = {o.doc_key: (o.status, o.chunks) for o in outcomes}
    assert statuses[f"{tag}-frais"][0] == "replaced" and statuses[f"{tag}-frais"][1] > 1
    assert statuses[f"{tag}-orsay"] == ("unchanged", 1)
    rows = await pool.fetch(
        "SELECT c.content, c.chunk_index, c.total_chunks FROM app_knowledge_chunks c "
        "JOIN app_knowledge_documents d ON d.id = c.document_id WHERE d.doc_key = $1 ORDER BY chunk_index",
        f"{tag}-frais")
    assert len(rows) == statuses[f"{tag}-frais"][1]
    assert [r["chunk_index"] for r in rows] == list(range(len(rows)))
    assert all("4,90" in r["content"] and r["total_chunks"] == len(rows) for r in rows)
    events = await pool.fetch("SELECT envelope FROM app_outbox WHERE type = 'knowledge.document.ingested' "
                              "AND aggregate_id = $1 ORDER BY seq", f"knowledge:{tag}-frais")
    assert [e["envelope"]["data"]["replaced"] for e in events] == [False, True]


async def test_delete_by_source_removes_chunks_and_emits_events(rag_runtime: RagRuntime,
                                                                pool: asyncpg.Pool) -> None:
    tag = _tag()
    await rag_runtime.ingestor.ingest(_docs(tag))
    deleted = await rag_runtime.ingestor.delete_source(f"{tag}.jsonl")
    assert sorted(deleted) == sorted(f"{tag}-{k}" for k in PASSAGES)
    assert await pool.fetchval("SELECT count(*) FROM app_knowledge_chunks WHERE source = $1", f"{tag}.jsonl") == 0
    assert await pool.fetchval("SELECT count(*) FROM app_outbox WHERE type = 'knowledge.document.deleted' "
                               "AND aggregate_id LIKE $1", f"knowledge:{tag}-%") == 4
    assert await rag_runtime.ingestor.delete_source(f"{tag}.jsonl") == []


class _PoisonedEmbedder(Embedder):
    """Our own embedder, except that one text gets a NaN vector, which pgvector refuses at COPY."""

    def embed(self, texts):
        vectors = super().embed(texts)
        for i, text in enumerate(texts):
            if "POISON" in text:
                vectors[i, 0] = np.nan
        return vectors


async def test_failed_write_leaves_nothing_half_written(settings, pool: asyncpg.Pool, model_dir: Path
                                                        ) -> None:
    tag = _tag()
    poisoned = _PoisonedEmbedder(model_dir, threads=2)
    rt = await open_runtime(settings, pool, RagSettings(), embedder=poisoned)
    try:
        with pytest.raises(asyncpg.DataError):
            await rt.ingestor.ingest(_docs(tag, a="Un texte sain.", b="POISON dans ce texte."))
    finally:
        await rt.close()
    assert await pool.fetchval("SELECT count(*) FROM app_knowledge_documents WHERE source = $1",
                               f"{tag}.jsonl") == 0
    assert await pool.fetchval("SELECT count(*) FROM app_knowledge_chunks WHERE source = $1",
                               f"{tag}.jsonl") == 0


@pytest.mark.parametrize("query", ["   ", "x" * 2001])
async def test_empty_or_too_long_query_is_a_clear_error(rag_runtime: RagRuntime, query: str) -> None:
    with pytest.raises(RemoteError, match=r"empty|too long"):
        await rag_runtime.search.search(SearchKnowledge.model_construct(query=query, k=5, mode="hybrid",
                                                                        category=None, language=None,
                                                                        source=None, threshold=None))


async def test_spec_match_function_keeps_working(rag_runtime: RagRuntime, pool: asyncpg.Pool,
                                                 embedder: Embedder) -> None:
    tag = _tag()
    await rag_runtime.ingestor.ingest(_docs(tag))
    query = embedder.embed(["Quel est le prix de la suspension Orsay ?"])[0]
    rows = await pool.fetch("SELECT * FROM match_app_chunks($1, 50, 0.3)", query)
    ours = [r for r in rows if r["source"] == f"{tag}.jsonl"]
    assert ours and "Orsay" in ours[0]["content"]
    assert all(r["similarity"] > 0.3 for r in rows)
    assert [r["similarity"] for r in rows] == sorted((r["similarity"] for r in rows), reverse=True)


async def test_1024_d_model_uses_the_v2_table_and_its_match_function(settings, pool: asyncpg.Pool,
                                                                     model_dir: Path, tmp_path: Path) -> None:
    wide = Embedder(write_wide_model(tmp_path / "wide", model_dir))
    rt = await open_runtime(settings, pool, RagSettings(), embedder=wide)
    tag = _tag()
    try:
        await rt.ingestor.ingest(_docs(tag))
        results = await rt.search.search(SearchKnowledge(query="suspension Orsay verre soufflé",
                                                         source=f"{tag}.jsonl"))
        assert results.table == "app_knowledge_chunks_v2"
        assert results.hits[0].metadata["doc_id"] == f"{tag}-orsay"
        query = wide.embed(["suspension Orsay verre soufflé"])[0]
        rows = await pool.fetch("SELECT * FROM match_app_chunks_v2($1, 5, -1)", query)
        assert any(r["source"] == f"{tag}.jsonl" for r in rows)
        assert all(r["language"] is not None for r in rows)
    finally:
        await rt.ingestor.delete_source(f"{tag}.jsonl")
        await rt.close()
