"""Fetch a URL for ingestion: bounded time and size, format from the content type."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

import httpx

from services.rag.loaders import (
    Defaults,
    LoadError,
    SourceDocument,
    document_from_content,
    parse_jsonl,
    pdf_text,
)

_FORMATS = {"text/html": "html", "application/xhtml+xml": "html", "text/markdown": "markdown",
            "text/x-markdown": "markdown", "text/plain": "text", "application/pdf": "pdf",
            "application/jsonl": "jsonl", "application/x-ndjson": "jsonl"}
_SUFFIX_FORMATS = {".md": "markdown", ".txt": "text", ".html": "html", ".htm": "html", ".pdf": "pdf",
                   ".jsonl": "jsonl"}


def is_url(value: str) -> bool:
    return urlsplit(value).scheme in ("http", "https")


async def fetch_url(client: httpx.AsyncClient, url: str, defaults: Defaults,
                    max_bytes: int) -> list[SourceDocument]:
    try:
        async with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise LoadError(url, f"HTTP {response.status_code}")
            declared = int(response.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise LoadError(url, f"too large ({declared} bytes > {max_bytes})")
            data = await _read_limited(response, url, max_bytes)
            fmt = _format(response.headers.get("content-type", ""), url)
    except httpx.TimeoutException as exc:
        raise LoadError(url, f"timed out ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise LoadError(url, f"fetch failed ({exc})") from exc
    return _documents(url, data, fmt, defaults)


async def _read_limited(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise LoadError(url, f"too large (more than {max_bytes} bytes)")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise LoadError(url, "empty response")
    return data


def _format(content_type: str, url: str) -> str:
    mime = content_type.split(";")[0].strip().lower()
    if mime in _FORMATS:
        return _FORMATS[mime]
    return _SUFFIX_FORMATS.get(PurePosixPath(urlsplit(url).path).suffix.lower(), "text")


def _documents(url: str, data: bytes, fmt: str, defaults: Defaults) -> list[SourceDocument]:
    if fmt == "pdf":
        text = pdf_text(data, url)
        return [SourceDocument(doc_key=url, source=url, text=text, category=defaults.category,
                               language=defaults.language)]
    if fmt == "jsonl":
        return list(parse_jsonl(data.decode("utf-8", errors="replace"), url, defaults))
    return [document_from_content(url, data, fmt, defaults)]
