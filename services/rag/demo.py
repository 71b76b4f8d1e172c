"""The demo knowledge base of « Maison Lumière », a fictional lighting and home-decor shop."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from libs.common.logging import get_logger
from libs.common.settings import Settings, get_settings
from services.rag import repo
from services.rag.loaders import SourceDocument
from services.rag.runtime import RagRuntime, open_runtime

DEMO_DIR = Path(__file__).resolve().parent / "demo"
log = get_logger(__name__)


def demo_documents() -> list[SourceDocument]:
    docs = []
    for path in sorted(DEMO_DIR.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = text.splitlines()[0].lstrip("# ").strip()
        source = f"demo/{path.name}"
        docs.append(SourceDocument(doc_key=source, source=source, text=text, format="markdown", title=title,
                                   category=path.stem, language="fr", metadata={"demo": True}))
    return docs


async def load_demo(pool: asyncpg.Pool, settings: Settings | None = None, *, force: bool = False,
                    runtime: RagRuntime | None = None) -> int:
    """Ingest the demo documents when the knowledge table is empty (or `force`); returns chunks written."""
    own = runtime is None
    rt = runtime or await open_runtime(settings or get_settings(), pool)
    try:
        if not force and await repo.count_chunks(pool, rt.ingestor.table) > 0:
            log.info("rag.demo_skipped", reason="knowledge base not empty")
            return 0
        outcomes = await rt.ingestor.ingest(demo_documents())
    finally:
        if own:
            await rt.close()
    written = sum(o.chunks for o in outcomes if o.status != "unchanged")
    log.info("rag.demo_loaded", documents=len(outcomes), chunks=written)
    return written
