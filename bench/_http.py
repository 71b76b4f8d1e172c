"""A minimal HTTP/1.1 keep-alive client for load generation.

The load generator shares the machine's two cores with the system under test, and httpx's CPU per
request is taken from the servers being measured (docs/benchmarks.md, "Measured choices in the
code"). This client does only what the benchmarks need — one
keep-alive connection per worker, JSON bodies, `Content-Length` or chunked (streamed) responses —
in a fraction of that.
The bare HTTP baseline of the same run uses it too, so the comparison stays like for like.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Connection:
    """One keep-alive connection; requests on it are sequential (one per worker)."""

    base: str
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    host: str = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        self.host = parts.netloc
        self._address = (parts.hostname or "127.0.0.1", parts.port or 80)

    async def request(self, method: str, path: str, body: Any = None,
                      headers: dict[str, str] | None = None) -> Response:
        for attempt in (1, 2):  # the server may have closed an idle keep-alive connection
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(*self._address)
            try:
                return await self._exchange(method, path, body, headers or {})
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Response:
        assert self.reader is not None and self.writer is not None
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(payload)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        response_headers = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if sep:
                response_headers[name.strip().lower()] = value.strip()
        if response_headers.get("transfer-encoding", "").lower() == "chunked":  # a stream (SSE), read whole
            data = await self._read_chunked()
        elif "content-length" in response_headers:
            data = await self.reader.readexactly(int(response_headers["content-length"]))
        else:
            raise ValueError(f"{method} {path}: response without Content-Length or chunked encoding")
        if response_headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, response_headers, data)

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers are sent
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class Client:
    """A connection per worker id, opened on first use."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._connections: dict[int, Connection] = {}

    def __call__(self, worker: int) -> Connection:
        if worker not in self._connections:
            self._connections[worker] = Connection(self.base)
        return self._connections[worker]

    async def aclose(self) -> None:
        await asyncio.gather(*(c.close() for c in self._connections.values()))
        self._connections.clear()
