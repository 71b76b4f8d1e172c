"""A local Google Drive API v3 (multipart upload and file search by appProperties) for tests.

`POST /upload/drive/v3/files?uploadType=multipart` parses the `multipart/related` body (JSON
metadata, then the bytes) and answers the file resource; `GET /drive/v3/files?q=appProperties has
{ key='k' and value='v' }` finds files by app property. Bearer token checked (401 with Google's error
body otherwise); `fail_next(status, reason)` scripts Google-style errors; `drop_after_store` stores
the file and then drops the connection's answer (500 without body), as a lost answer would.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import deque
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes._server import LocalServer

_QUERY = re.compile(r"appProperties has \{ key='([^']+)' and value='([^']+)' \}")


def google_error(status: int, reason: str, message: str) -> JSONResponse:
    names = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED"}
    return JSONResponse({"error": {"code": status, "message": message,
                                   "errors": [{"domain": "global", "reason": reason, "message": message}],
                                   "status": names.get(status, "INTERNAL")}}, status_code=status)


class FakeDriveServer(LocalServer):
    def __init__(self, token: str = "drive-test-token") -> None:  # noqa: S107 - a test token
        self.token = token
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.uploads = 0
        self.failures: deque[tuple[int, str]] = deque()
        self.drop_after_store = 0
        self._ids = itertools.count(1)

    def fail_next(self, status: int, reason: str, times: int = 1) -> None:
        self.failures.extend([(status, reason)] * times)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/upload/drive/v3/files", self.upload, methods=["POST"]),
                                 Route("/drive/v3/files", self.search, methods=["GET"])])

    def _unauthorized(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return google_error(401, "authError", "Request had invalid authentication credentials.")
        return None

    async def upload(self, request: Request) -> JSONResponse:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        if request.query_params.get("uploadType") != "multipart":
            return google_error(400, "badRequest", "Invalid uploadType")
        if self.failures:
            status, reason = self.failures.popleft()
            return google_error(status, reason, f"scripted {reason}")
        match = re.search(r"boundary=([^;]+)", request.headers.get("content-type", ""))
        if not match or not request.headers.get("content-type", "").startswith("multipart/related"):
            return google_error(400, "badContent", "Media type must be multipart/related")
        parts = (await request.body()).split(f"--{match.group(1)}".encode())
        if len(parts) < 4:
            return google_error(400, "badContent", "Multipart body needs metadata and media")
        metadata = json.loads(parts[1].split(b"\r\n\r\n", 1)[1].rstrip(b"\r\n"))
        _head, media = parts[2].split(b"\r\n\r\n", 1)
        file_id = f"1{next(self._ids):032d}"
        resource = {"kind": "drive#file", "id": file_id, "name": metadata.get("name", "Untitled"),
                    "mimeType": metadata.get("mimeType", "application/octet-stream"),
                    "appProperties": metadata.get("appProperties", {}), "parents": metadata.get("parents", []),
                    "webViewLink": f"https://drive.google.com/file/d/{file_id}/view"}
        self.files[file_id] = resource
        self.contents[file_id] = media[:-2] if media.endswith(b"\r\n") else media
        self.uploads += 1
        if self.drop_after_store:
            self.drop_after_store -= 1
            return JSONResponse(None, status_code=502)
        return JSONResponse(resource)

    async def search(self, request: Request) -> JSONResponse:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        match = _QUERY.search(request.query_params.get("q", ""))
        if not match:
            return google_error(400, "invalidQuery", "Invalid Value")
        key, value = match.groups()
        found = [f for f in self.files.values() if f["appProperties"].get(key) == value]
        return JSONResponse({"kind": "drive#fileList", "files": found})
