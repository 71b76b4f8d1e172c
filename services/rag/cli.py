"""`comptoir ingest`, `comptoir search` and `comptoir rag …` (prepare-model, delete, demo)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import ValidationError

from libs.common.db import create_pool
from libs.common.errors import ConfigurationError, RemoteError
from libs.common.events.rag import SearchKnowledge
from libs.common.settings import get_settings
from services.rag.config import RagSettings, model_dir
from services.rag.fetch import fetch_url, is_url
from services.rag.ingest import Outcome
from services.rag.loaders import Defaults, LoadError, SourceDocument, expand_paths, load_file
from services.rag.runtime import RagRuntime, open_runtime


def register(subparsers: Any) -> None:
    ingest = subparsers.add_parser("ingest", help="add files, folders or URLs to the knowledge base")
    ingest.add_argument("sources", nargs="+", metavar="PATH|URL")
    ingest.add_argument("--category", default=None)
    ingest.add_argument("--language", default="fr")
    ingest.set_defaults(handler=cmd_ingest)

    search = subparsers.add_parser("search", help="search the knowledge base")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--json", action="store_true", help="print the results as JSON")
    search.add_argument("--category", default=None)
    search.add_argument("--language", default=None)
    search.add_argument("--source", default=None)
    search.add_argument("--mode", choices=["hybrid", "vector", "fulltext"], default="hybrid")
    search.set_defaults(handler=cmd_search)

    rag = subparsers.add_parser("rag", help="knowledge base administration")
    rag_sub = rag.add_subparsers(dest="rag_command", required=True)
    prepare = rag_sub.add_parser("prepare-model", help="build the default ONNX embedding model")
    prepare.add_argument("--no-quantize", action="store_true")
    prepare.set_defaults(handler=cmd_prepare_model)
    delete = rag_sub.add_parser("delete", help="delete every document ingested from SOURCE")
    delete.add_argument("source")
    delete.set_defaults(handler=cmd_delete)
    demo = rag_sub.add_parser("demo", help="load the Maison Lumière demo knowledge base")
    demo.add_argument("--force", action="store_true", help="load even if the knowledge base is not empty")
    demo.set_defaults(handler=cmd_demo)


@contextlib.asynccontextmanager
async def _runtime() -> AsyncIterator[RagRuntime]:
    settings = get_settings()
    pool = await create_pool(settings)
    try:
        runtime = await open_runtime(settings, pool)
        try:
            yield runtime
        finally:
            await runtime.close()
    except asyncpg.UndefinedTableError as exc:
        raise ConfigurationError(f"the database is not migrated ({exc}): run `comptoir migrate`") from exc
    finally:
        await pool.close()


async def _load(rt: RagRuntime, sources: list[str], defaults: Defaults,
                errors: list[LoadError]) -> list[SourceDocument]:
    docs: list[SourceDocument] = []
    paths = [Path(s) for s in sources if not is_url(s)]
    for source in [s for s in sources if is_url(s)]:
        try:
            docs.extend(await fetch_url(rt.http, source, defaults, rt.rag.fetch_max_bytes))
        except LoadError as exc:
            errors.append(exc)
    for path in expand_paths(paths):
        try:
            docs.extend(load_file(path, defaults, rt.rag.max_file_bytes))
        except LoadError as exc:
            errors.append(exc)
    return docs


async def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    defaults = Defaults(category=args.category, language=args.language)
    errors: list[LoadError] = []
    async with _runtime() as rt:
        docs = await _load(rt, list(args.sources), defaults, errors)
        with tqdm(total=len(docs), unit="doc", desc="ingest", file=sys.stderr,
                  disable=not docs) as bar:
            outcomes = await rt.ingestor.ingest(docs, on_done=lambda _: _tick(bar))
    for error in errors:
        print(f"skipped {error.source}: {error.reason}", file=sys.stderr)
    print(_summary(outcomes, errors))
    return 1 if errors else 0


def _tick(bar: Any) -> None:
    bar.update(1)


def _summary(outcomes: list[Outcome], errors: list[LoadError]) -> str:
    counts = {s: sum(o.status == s for o in outcomes) for s in ("added", "replaced", "unchanged")}
    chunks = sum(o.chunks for o in outcomes if o.status != "unchanged")
    return (f"{len(outcomes)} document(s): {counts['added']} added, {counts['replaced']} replaced, "
            f"{counts['unchanged']} unchanged; {chunks} chunk(s) written; {len(errors)} skipped")


async def cmd_search(args: argparse.Namespace) -> int:
    try:
        request = SearchKnowledge(query=args.query, k=args.k, category=args.category,
                                  language=args.language, source=args.source, mode=args.mode)
    except ValidationError as exc:
        print(f"comptoir: error: invalid search: {exc.errors(include_url=False)[0]['msg']}", file=sys.stderr)
        return 2
    async with _runtime() as rt:
        try:
            results = await rt.search.search(request)
        except RemoteError as exc:
            print(f"comptoir: error: {exc.message}", file=sys.stderr)
            return 2
    if args.json:
        print(results.model_dump_json(indent=2))
        return 0
    for rank, hit in enumerate(results.hits, start=1):
        cite = hit.metadata.get("doc_id") or hit.metadata.get("title") or ""
        print(f"{rank}. [{hit.score:.4f}] {hit.source} {cite}".rstrip())
        print("   " + " ".join(hit.content.split())[:300])
    if not results.hits:
        print("no result")
    return 0


def cmd_prepare_model(args: argparse.Namespace) -> int:
    from services.rag.model_build import prepare_model

    folder = model_dir(RagSettings(), get_settings())
    path = prepare_model(folder, quantize=not args.no_quantize)
    print(f"model written to {path}")
    return 0


async def cmd_delete(args: argparse.Namespace) -> int:
    async with _runtime() as rt:
        deleted = await rt.ingestor.delete_source(args.source)
    print(json.dumps({"deleted": deleted}, ensure_ascii=False))
    return 0 if deleted else 1


async def cmd_demo(args: argparse.Namespace) -> int:
    from services.rag.demo import load_demo

    async with _runtime() as rt:
        written = await load_demo(rt.ingestor.pool, force=args.force, runtime=rt)
    print(f"{written} chunk(s) written" if written else "knowledge base not empty: demo not loaded")
    return 0
