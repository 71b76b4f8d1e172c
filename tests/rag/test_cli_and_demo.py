"""`comptoir ingest` / `comptoir search` as a user runs them, and the demo knowledge base."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg

from libs.common.db import create_pool
from libs.common.migrate import migrate
from libs.common.settings import Settings
from services.rag.config import RagSettings
from services.rag.demo import demo_documents, load_demo
from services.rag.embedder import Embedder
from services.rag.runtime import RagRuntime, open_runtime

ROOT = Path(__file__).resolve().parents[2]


def _comptoir(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url.get_secret_value(),  # type: ignore[union-attr]
           "COMPTOIR_DATA_DIR": str(settings.data_dir), "LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "comptoir", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=False)


async def test_ingest_and_search_commands(settings: Settings, tmp_path: Path, model_dir: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "garantie.md").write_text(f"# Garantie {tag}\n\nNos lampes sont garanties cinq ans.", encoding="utf-8")
    (folder / "faq.jsonl").write_text(json.dumps({"id": f"{tag}-q1", "text": "Le retour est gratuit sous 30 jours.",
                                                  "source": f"{tag}-faq"}) + "\n", encoding="utf-8")
    (folder / "empty.txt").write_text("")
    (folder / "blob.txt").write_bytes(b"\x00\x01\x02")
    done = _comptoir(settings, "ingest", str(folder), "--category", tag)
    assert done.returncode == 1, done.stderr  # two files skipped, the rest went in
    assert "2 document(s): 2 added" in done.stdout and "2 skipped" in done.stdout
    assert "empty.txt: empty file" in done.stderr and "blob.txt: binary content" in done.stderr

    found = _comptoir(settings, "search", "retour gratuit", "--category", tag, "-k", "2", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["metadata"]["doc_id"] == f"{tag}-q1" and hits[0]["source"] == f"{tag}-faq"

    again = _comptoir(settings, "ingest", str(folder / "garantie.md"), "--category", tag)
    assert again.returncode == 0 and "1 unchanged" in again.stdout

    empty = _comptoir(settings, "search", "   ")
    assert empty.returncode == 2 and "empty" in empty.stderr


async def test_demo_loads_into_an_empty_knowledge_base_only(fresh_dsn: str, settings: Settings,
                                                            embedder: Embedder) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    pool = await create_pool(settings, dsn=fresh_dsn, min_size=1, max_size=4)
    runtime: RagRuntime = await open_runtime(settings, pool, RagSettings(), embedder=embedder)
    try:
        written = await load_demo(pool, settings, runtime=runtime)
        assert written >= len(demo_documents()) >= 8
        assert await load_demo(pool, settings, runtime=runtime) == 0
        sources = {r["source"] for r in await pool.fetch("SELECT DISTINCT source FROM app_knowledge_chunks")}
        assert "demo/livraison.md" in sources
    finally:
        await runtime.close()
        await pool.close()


async def test_batch_search_and_eval_commands(settings: Settings, tmp_path: Path, model_dir: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    records = [{"id": f"{tag}-{k}", "text": t, "source": f"{tag}-faq"} for k, t in (
        ("port", "La livraison est offerte dès 80 € d'achat ; sinon les frais de port sont de 5,90 €."),
        ("retour", "Vous avez 30 jours pour nous retourner un article, le retour est gratuit."),
        ("laiton", "Frottez le laiton avec du vinaigre blanc et du sel pour lui rendre son éclat."))]
    kb = tmp_path / "faq.jsonl"
    kb.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    assert _comptoir(settings, "ingest", str(kb), "--category", tag).returncode == 0

    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"id": "a", "query": "frais de livraison"}\n\n{"id": 7, "query": "nettoyer le laiton"}\n',
                       encoding="utf-8")
    batch = _comptoir(settings, "search", "--queries", str(queries), "--category", tag, "-k", "2")
    assert batch.returncode == 0, batch.stderr
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", 7]
    assert lines[0]["hits"][0]["metadata"]["doc_id"] == f"{tag}-port" and len(lines[0]["hits"]) == 2
    assert lines[1]["hits"][0]["metadata"]["doc_id"] == f"{tag}-laiton" and "similarity" in lines[1]["hits"][0]

    questions = tmp_path / "eval.jsonl"
    questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in (
        {"query": "Combien coûte l'envoi ?", "relevant": [f"{tag}-port"]},
        {"query": "Puis-je renvoyer un produit ?", "relevant": [f"{tag}-faq"]},  # a source names it too
        {"query": "Comment faire briller le laiton ?", "relevant": [f"{tag}-laiton"]})), encoding="utf-8")
    done = _comptoir(settings, "rag", "eval", str(questions), "--category", tag, "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["questions"] == 3 and set(figures) >= {"hybrid", "vector", "lexical", "bm25_plain"}
    assert figures["hybrid"]["recall_at_3"] == 1.0 and figures["bm25_plain"]["recall_at_10"] > 0

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "ok", "relevant": []}\n{"relevant": ["x"]}\n', encoding="utf-8")
    refused = _comptoir(settings, "rag", "eval", str(bad))
    assert refused.returncode == 2 and "bad.jsonl:2" in refused.stderr and "Traceback" not in refused.stderr
    both = _comptoir(settings, "search", "x", "--queries", str(queries))
    assert both.returncode == 2 and "not both" in both.stderr
