"""Reading request bodies strictly: size (without buffering a huge body), UTF-8, JSON, each with a reason."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from services.gateway.errors import ApiError


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "body_too_large", f"the request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "body_too_large", f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_body(raw: bytes, limit: int) -> Any:
    """Decode a request body strictly: size, UTF-8 and JSON each fail with their own reason."""
    if not raw.strip():
        raise ApiError(400, "empty_body", "the request body is empty; send a JSON object")
    if len(raw) > limit:
        raise ApiError(413, "body_too_large", f"the request body is larger than {limit} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_encoding", f"the body is not valid UTF-8 (byte {exc.start})") from exc
    if nesting_depth(text) > MAX_DEPTH:
        raise ApiError(400, "too_deep", f"the JSON is nested more than {MAX_DEPTH} levels deep")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "malformed_json",
                       f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer longer than Python converts (4,300 digits)
        raise ApiError(400, "malformed_json", f"unreadable JSON: {exc}"[:300]) from exc
    if "\\u" in text:  # a NUL or a lone surrogate can only arrive escaped
        check_text(data)
    return data


MAX_DEPTH = 32


def nesting_depth(text: str) -> int:
    """The deepest nesting of [ and { (a bracket inside a string counts too: an upper bound)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def check_text(value: Any) -> None:
    """Refuse strings Postgres and UTF-8 cannot store: NUL characters and lone surrogates."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ApiError(400, "invalid_text", "text may not contain NUL (\\u0000) characters")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ApiError(400, "invalid_text",
                               "text contains a lone UTF-16 surrogate (not a character)") from exc
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
