"""Static assets served compressed with a strong ETag: `?v=<version>` URLs are cached for a year
(immutable), others for five minutes; a matching If-None-Match answers 304 without a body."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache

from fastapi import Request
from fastapi.responses import Response

SHORT = "public, max-age=300"
LONG = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    version: str
    media_type: str


@cache
def asset(body: bytes, media_type: str) -> Asset:
    digest = hashlib.sha256(body).hexdigest()
    return Asset(body, gzip.compress(body, compresslevel=9, mtime=0), f'"{digest[:32]}"', digest[:12], media_type)


def serve(request: Request, item: Asset) -> Response:
    versioned = request.query_params.get("v") == item.version
    headers = {"ETag": item.etag, "Cache-Control": LONG if versioned else SHORT, "Vary": "Accept-Encoding"}
    match = request.headers.get("if-none-match", "")
    if item.etag in [tag.strip().removeprefix("W/") for tag in match.split(",")]:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        return Response(item.gzipped, media_type=item.media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(item.body, media_type=item.media_type, headers=headers)
