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
