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
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "malformed_json",
                       f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
