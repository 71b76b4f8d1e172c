"""Read knowledge sources into documents: Markdown, text, HTML, PDF (text layer), JSONL, URLs.

A source that cannot be used (unreadable, empty, oversized, binary, malformed) raises `LoadError`
with its name and the reason; callers report it and go on with the rest.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from libs.common.errors import ComptoirError
from services.rag.htmltext import html_to_text

TEXT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text",
                 ".html": "html", ".htm": "html"}
SUPPORTED = {*TEXT_SUFFIXES, ".pdf", ".jsonl"}


class LoadError(ComptoirError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True)
class SourceDocument:
    doc_key: str
    source: str
    text: str
    format: str = "text"  # markdown | text (after HTML and PDF conversion)
    title: str | None = None
    category: str | None = None
    language: str = "fr"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Defaults:
    category: str | None = None
    language: str = "fr"


def expand_paths(paths: list[Path]) -> Iterator[Path]:
    """Files named, and supported files found under folders named (sorted, hidden ones skipped)."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in found.relative_to(path).parts)
                if found.is_file() and not hidden and found.suffix.lower() in SUPPORTED:
                    yield found
        else:
            yield path


def load_file(path: Path, defaults: Defaults, max_bytes: int) -> list[SourceDocument]:
    data = _read_bytes(path, max_bytes)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return [_document(str(path), pdf_text(data, str(path)), "text", defaults, path.stem)]
    if suffix == ".jsonl":
        return list(parse_jsonl(_decode(data, str(path)), str(path), defaults))
    fmt = TEXT_SUFFIXES.get(suffix, "text")
    return [document_from_content(str(path), data, fmt, defaults, path.stem)]


def document_from_content(source: str, data: bytes, fmt: str, defaults: Defaults,
                          title: str | None = None) -> SourceDocument:
    text = _decode(data, source)
    if fmt == "html":
        title, text = html_to_text(text)
        fmt = "markdown"
    return _document(source, text, fmt, defaults, title)


def _document(source: str, text: str, fmt: str, defaults: Defaults, title: str | None) -> SourceDocument:
    if not text.strip():
        raise LoadError(source, "empty (no text to index)")
    return SourceDocument(doc_key=source, source=source, text=text, format=fmt, title=title,
                          category=defaults.category, language=defaults.language)


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(str(path), f"too large ({size} bytes > {max_bytes})")
        data = path.read_bytes()
    except LoadError:
        raise
    except OSError as exc:
        raise LoadError(str(path), f"unreadable ({exc.strerror or exc})") from exc
    if not data.strip():
        raise LoadError(str(path), "empty file")
    return data


def _decode(data: bytes, source: str) -> str:
    if b"\x00" in data[:8192]:
        raise LoadError(source, "binary content (not text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(source, f"not UTF-8 text (byte {exc.start})") from exc


def pdf_text(data: bytes, source: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(source, f"unreadable PDF ({exc})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise LoadError(source, "PDF without a text layer")
    return text


def parse_jsonl(content: str, source: str, defaults: Defaults) -> Iterator[SourceDocument]:
    """One document per record; a malformed record raises LoadError naming its line."""
    for number, line in enumerate(content.splitlines(), start=1):
        if line.strip():
            yield _record(line, f"{source}:{number}", source, defaults)


def _record(line: str, where: str, source: str, defaults: Defaults) -> SourceDocument:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LoadError(where, f"invalid JSON ({exc.msg})") from exc
    if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
        raise LoadError(where, "a record needs a non-empty string `text`")
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise LoadError(where, "`metadata` must be an object")
    doc_id = str(record["id"]) if record.get("id") is not None else None
    return SourceDocument(
        doc_key=doc_id or where,
        source=str(record.get("source") or source),
        text=record["text"],
        format="markdown",
        title=record.get("title") or metadata.get("title"),
        category=record.get("category") or defaults.category,
        language=record.get("language") or defaults.language,
        metadata={**metadata, **({"doc_id": doc_id} if doc_id else {})},
    )
