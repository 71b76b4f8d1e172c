"""The BM25 lexical leg on the real Postgres: statistics kept by the triggers, IDF and length at work,
French analysis on both sides, fusion."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from libs.common.events.rag import SearchKnowledge
from libs.lexical import analyze, analyzer, fold
from libs.lexical.synonyms import EXPANSION_WEIGHT, expand
from services.rag import lexical
from services.rag.loaders import SourceDocument
from services.rag.runtime import RagRuntime
from services.rag.search import Candidate, Fusion, fuse

TABLE = "app_knowledge_chunks"


def _docs(tag: str, texts: dict[str, str], title: str | None = None) -> list[SourceDocument]:
    return [SourceDocument(doc_key=f"{tag}-{k}", source=f"{tag}.jsonl", text=t, category=tag, title=title,
                           metadata={"doc_id": f"{tag}-{k}"}) for k, t in texts.items()]


async def _stats(pool: asyncpg.Pool, term: str) -> tuple[int | None, int, int]:
    async with pool.acquire() as conn:
        df = await conn.fetchval("SELECT df FROM app_knowledge_term_stats WHERE chunk_table = $1 AND term = $2",
                                 TABLE, term)
        row = await conn.fetchrow("SELECT chunks, total_length FROM app_knowledge_lexical_stats "
                                  "WHERE chunk_table = $1", TABLE)
        assert row is not None
        return df, row["chunks"], row["total_length"]


async def _lexical(rt: RagRuntime, query: str, tag: str, k: int = 5) -> list[str]:
    results = await rt.search.search(SearchKnowledge(query=query, mode="fulltext", category=tag, k=k))
    return [str(h.metadata["doc_id"]) for h in results.hits]


async def test_statistics_follow_insert_replace_and_delete(rag_runtime: RagRuntime) -> None:
    tag = f"lx{uuid.uuid4().hex[:8]}"
    word = f"zq{uuid.uuid4().hex[:6]}"  # a word only this test uses
    [term] = analyze(word)  # as indexed (the stemmer may trim its end)
    pool = rag_runtime.ingestor.pool
    _, chunks0, length0 = await _stats(pool, term)
    await rag_runtime.ingestor.ingest(_docs(tag, {"a": f"{word} livraison", "b": f"{word} {word} retours"}))
    df, chunks, length = await _stats(pool, term)
    assert df == 2 and chunks == chunks0 + 2 and length == length0 + 2 + 3
    await rag_runtime.ingestor.ingest(_docs(tag, {"a": "plus rien de ce mot"}))  # replaced
    assert (await _stats(pool, term))[0] == 1
    await rag_runtime.ingestor.delete_source(f"{tag}.jsonl")
    df, chunks, length = await _stats(pool, term)
    assert df is None and chunks == chunks0 and length == length0


async def test_rare_terms_outweigh_common_ones_and_length_is_normalised(rag_runtime: RagRuntime) -> None:
    tag = f"lx{uuid.uuid4().hex[:8]}"
    filler = " ".join(["lampe"] * 3)
    texts = {f"c{i}": f"{filler} modèle {i}" for i in range(8)}  # « lampe » everywhere, low IDF
    texts["rare"] = "lampe en laiton brossé"
    texts["long"] = "laiton " + " ".join(f"mot{i}" for i in range(80))  # the rare term, in a long text
    await rag_runtime.ingestor.ingest(_docs(tag, texts))
    assert (await _lexical(rag_runtime, "lampe laiton", tag))[0] == f"{tag}-rare"  # the rare term decides
    assert await _lexical(rag_runtime, "laiton", tag) == [f"{tag}-rare", f"{tag}-long"]  # shorter first


async def test_french_analysis_on_both_sides(rag_runtime: RagRuntime) -> None:
    tag = f"lx{uuid.uuid4().hex[:8]}"
    await rag_runtime.ingestor.ingest(_docs(tag, {
        "exp": "L'expédition des commandes à l'étranger prend cinq jours.",
        "other": "Nos abat-jour sont cousus main dans l'atelier.",
    }))
    assert (await _lexical(rag_runtime, "EXPEDITIONS etranger", tag))[0] == f"{tag}-exp"
    assert (await _lexical(rag_runtime, "d'expédition", tag))[0] == f"{tag}-exp"


async def test_titles_are_indexed_and_synonyms_expand_the_query(rag_runtime: RagRuntime) -> None:
    tag = f"lx{uuid.uuid4().hex[:8]}"
    await rag_runtime.ingestor.ingest(_docs(tag, {"t": "Comptez deux à trois jours ouvrés."}, title="Livraison"))
    await rag_runtime.ingestor.ingest(_docs(tag, {"u": "Nos verres sont soufflés à Nancy."}, title="Atelier"))
    assert await _lexical(rag_runtime, "livraison", tag) == [f"{tag}-t"]  # only the title says it
    assert (await _lexical(rag_runtime, "quand vais-je recevoir le colis", tag))[0] == f"{tag}-t"
    terms = dict(expand(analyze("recevoir")))
    assert terms[analyze("recevoir")[0]] == 1.0 and terms[analyze("livraison")[0]] == EXPANSION_WEIGHT


def test_phrase_synonyms_need_the_whole_phrase() -> None:
    # for the search, « frais de livraison » is « frais de port »; « livraison » alone is not « port »
    assert "port" in dict(expand(analyze("frais de livraison"), whole_phrases=True))
    assert "port" not in dict(expand(analyze("livraison"), whole_phrases=True))
    assert dict(expand(analyze("bon d'achat"), whole_phrases=True))["cadeau"] == EXPANSION_WEIGHT
    assert "port" in dict(expand(analyze("livraison")))  # chat's composer: any word of the phrase
    assert "port" not in dict(lexical.query_terms("livraison", "fr"))


def test_request_verbs_and_word_families() -> None:
    # the verbs a question is wrapped in say nothing of its topic
    assert analyze("Où trouver le numéro de suivi ?") == analyze("numéro de suivi")
    assert analyze("Acceptez-vous PayPal ?") == ["paypal"]
    # a verb and the noun made from it are one term: the page says « livraison », the visitor « livré »
    assert analyze("livré") == analyze("livrer") == analyze("livraison")
    assert analyze("expédié") == analyze("expédition") and analyze("reçu") == analyze("réception")
    # « nous livrons » is the verb; « maisons », « boutons » keep their « on »
    assert analyze("Nous livrons la Belgique") == analyze("livraison Belgique")
    assert analyze("nous vous l'envoyons") == analyze("envoyer")
    assert analyze("nous garantissons") == analyze("garantir")
    assert analyze("des maisons et des boutons") == ["maison", "bouton"]
    assert analyze("Nous réalisons des suspensions")[-1] == analyze("suspension")[0]


def test_each_word_family_joins_stems_snowball_keeps_apart() -> None:
    from libs.lexical.families import FAMILIES_FR

    for family in FAMILIES_FR:
        assert len({analyze(word)[0] for word in family}) == 1, family
        assert len({analyzer("fr")._raw_stem(fold(word)) for word in family}) > 1, family  # else not needed


async def test_reindex_fills_chunks_without_postings(rag_runtime: RagRuntime) -> None:
    tag = f"lx{uuid.uuid4().hex[:8]}"
    await rag_runtime.ingestor.ingest(_docs(tag, {"r": "Le vinaigre blanc nettoie le laiton."}))
    pool = rag_runtime.ingestor.pool
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM app_knowledge_terms t USING app_knowledge_chunks c "
                           "WHERE c.id = t.chunk_id AND c.category = $1", tag)
    assert await _lexical(rag_runtime, "vinaigre", tag) == []
    assert await lexical.reindex_if_stale(pool, TABLE) >= 1
    assert await _lexical(rag_runtime, "vinaigre", tag) == [f"{tag}-r"]


@pytest.mark.parametrize("method", ["score", "rrf"])
def test_fusion_prefers_agreement_and_weights_move_it(method: str) -> None:
    both = Candidate("both", 2, 0.6, 2, 5.0)
    vec = Candidate("vec", 1, 0.7, None, None)
    lex = Candidate("lex", None, 0.3, 1, 9.0)
    ranked = [i for i, _ in fuse([vec, lex, both], Fusion(method, 0.5, 10))]
    assert ranked[0] == "both"
    assert fuse([vec, lex], Fusion(method, 0.9, 10))[0][0] == "vec"
    assert fuse([vec, lex], Fusion(method, 0.1, 10))[0][0] == "lex"


def test_coverage_breaks_what_bm25_and_cosine_leave_even() -> None:
    # same cosine, same BM25: the chunk holding more of the question comes first, and only with weight
    part = Candidate("part", 1, 0.5, 1, 6.0, 0.5)
    whole = Candidate("whole", 2, 0.5, 2, 6.0, 1.0)
    assert fuse([part, whole], Fusion("score", 0.3, coverage_weight=0.3))[0][0] == "whole"
    assert fuse([part, whole], Fusion("score", 0.3, coverage_weight=0.0))[0][0] == "part"  # id order


async def test_lexical_leg_reports_the_share_of_the_query_a_chunk_holds(rag_runtime: RagRuntime) -> None:
    tag = f"lx{uuid.uuid4().hex[:8]}"
    await rag_runtime.ingestor.ingest(_docs(tag, {
        "one": "Le laiton se patine. Le laiton brut, le laiton verni, le laiton doré.",
        "both": "Frottez le laiton avec du vinaigre blanc."}))
    terms = lexical.query_terms("laiton vinaigre", "fr", synonyms=False)
    async with rag_runtime.ingestor.pool.acquire() as conn:
        rows = await lexical.search(conn, TABLE, terms, 10, 500, lexical.Bm25(), tag, None, None)
        doc_of = {r["id"]: r["doc_key"] for r in await conn.fetch(
            "SELECT c.id, d.doc_key FROM app_knowledge_chunks c JOIN app_knowledge_documents d "
            "ON d.id = c.document_id WHERE c.category = $1", tag)}
    coverage = {doc_of[r["id"]]: r["coverage"] for r in rows}
    assert coverage[f"{tag}-both"] == pytest.approx(1.0)
    assert 0.0 < coverage[f"{tag}-one"] < 1.0


def test_a_french_question_gets_the_french_analysis_only() -> None:
    french = dict(lexical.query_terms("Quels sont les frais de livraison ?", None))
    assert "frais" in french and "frai" not in french  # « frai »: the English stem of « frais »
    english = dict(lexical.query_terms("What are the delivery costs for Belgium?", None))
    assert "deliveri" in english and "delivery" in english  # English stems and French terms both
    assert "paypal" in dict(lexical.query_terms("PayPal ?", None))  # no stop word: both analyses
