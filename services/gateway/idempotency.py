"""HTTP `Idempotency-Key` on the API's POSTs (as Stripe does): a client retry never acts twice.

A POST under `/v1/chat` or `/v1/admin` that carries `Idempotency-Key: <1-255 visible ASCII>`:
- is scoped to its caller: a hash of its session or admin token, or its address without one;
- gets a stable request id (`request_id_of(request)`), which the routes hand to the services, so
  their request log (libs/common/requestlog.py) makes the effect happen once even if the gateway
  itself runs the request twice (after a crash, or once the first run's lease is over);
- the first time: runs, and a 2xx answer (for a stream: one that ended with its `done` event) is
  stored — status, headers, body; anything else is forgotten, so a retry runs again;
- again with the same method, path and body: the stored answer, with `Idempotent-Replayed: true`;
- again with another body (or path): 422 `idempotency_key_reused`;
- again while the first is still running: 409 `idempotency_key_in_flight`, with Retry-After.
Table `app_idempotency_keys` (migration 048), written by the gateway only; `prune` is for the
maintenance job.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.common.logging import get_logger
from services.gateway.sessions import token_from_headers

log = get_logger("gateway.idempotency")
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
PATHS = ("/v1/chat/", "/v1/admin/")
MAX_KEY_CHARS = 255
MAX_BODY_BYTES = 8 * 1024 * 1024  # beyond, a request with a key is refused (413): it would be held in memory
MAX_STORED_BYTES = 1024 * 1024  # a larger answer is not stored (a retry runs again)
LEASE_S = 90.0  # longer than a turn may take (GATEWAY_TURN_TIMEOUT_S, 30 s by default)
NAMESPACE = uuid.UUID("6f0e7a52-8d1c-4f5e-9a39-2d0c51f7c0de")
_SKIPPED_HEADERS = {"content-length", "server-timing", "date", "transfer-encoding", "connection"}

CLAIM = """
INSERT INTO app_idempotency_keys (scope, key, fingerprint, request_id, token, lease_until)
VALUES ($1, $2, $3, $4, $5, NOW() + ($6 * INTERVAL '1 second'))
ON CONFLICT (scope, key) DO NOTHING
RETURNING token
"""
READ = """
SELECT fingerprint, request_id, status, token, lease_until < NOW() AS expired, response_status,
       response_headers, response_body
FROM app_idempotency_keys WHERE scope = $1 AND key = $2
"""
TAKE_OVER = """
UPDATE app_idempotency_keys SET token = $4, lease_until = NOW() + ($5 * INTERVAL '1 second')
WHERE scope = $1 AND key = $2 AND token = $3 AND status = 'running'
RETURNING token
"""
FINISH = """
UPDATE app_idempotency_keys
SET status = 'done', response_status = $4, response_headers = $5, response_body = $6, completed_at = NOW()
WHERE scope = $1 AND key = $2 AND token = $3 AND status = 'running'
"""
ABANDON = "DELETE FROM app_idempotency_keys WHERE scope = $1 AND key = $2 AND token = $3 AND status = 'running'"
PRUNE = "DELETE FROM app_idempotency_keys WHERE created_at < NOW() - ($1 * INTERVAL '1 day')"


@dataclass(frozen=True)
class Run:
    request_id: uuid.UUID
    token: uuid.UUID


@dataclass(frozen=True)
class Stored:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Refused:
    status: int
    code: str
    detail: str
    headers: tuple[tuple[str, str], ...] = ()


def request_id_of(request: Request) -> uuid.UUID | None:
    """The stable request id of a POST sent with an Idempotency-Key (None without one)."""
    value = request.scope.get("state", {}).get("idempotency_request_id")
    return value if isinstance(value, uuid.UUID) else None


def caller_scope(request: Request) -> str:
    """Who is asking: the hash of the token it presents, else its address."""
    token = token_from_headers(request.headers.get("authorization"), request.headers.get("x-session-token"))
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()
    gw = getattr(request.app.state, "gateway", None)
    trust = bool(gw is not None and gw.config.trust_forwarded_for)
    forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip() if trust else ""
    return "addr:" + (forwarded or (request.client.host if request.client else "-"))[:100]


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}?{query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


async def begin(pool: asyncpg.Pool, scope: str, key: str, print_: str, lease_s: float = LEASE_S
                ) -> Run | Stored | Refused:
    request_id, token = uuid.uuid5(NAMESPACE, f"{scope}\n{key}"), uuid.uuid4()
    for _ in range(3):
        if await pool.fetchval(CLAIM, scope, key, print_, request_id, token, lease_s) is not None:
            return Run(request_id, token)
        row = await pool.fetchrow(READ, scope, key)
        if row is None:
            continue  # abandoned meanwhile
        if row["fingerprint"] != print_:
            return Refused(422, "idempotency_key_reused",
                           f"this {HEADER} was already used with another request (method, path or body)")
        if row["status"] == "done":
            return Stored(row["response_status"], [tuple(h) for h in row["response_headers"] or []],
                          bytes(row["response_body"] or b""))
        if not row["expired"]:
            return Refused(409, "idempotency_key_in_flight",
                           f"a request with this {HEADER} is still being handled; retry in a moment",
                           (("retry-after", "1"),))
        if await pool.fetchval(TAKE_OVER, scope, key, row["token"], token, lease_s) is not None:
            return Run(row["request_id"], token)
    return Refused(409, "idempotency_key_in_flight", f"a request with this {HEADER} is being handled",
                   (("retry-after", "1"),))


async def finish(pool: asyncpg.Pool, scope: str, key: str, run: Run, answer: Stored) -> None:
    await pool.execute(FINISH, scope, key, run.token, answer.status, [list(h) for h in answer.headers], answer.body)


async def abandon(pool: asyncpg.Pool, scope: str, key: str, run: Run) -> None:
    await pool.execute(ABANDON, scope, key, run.token)


async def prune(pool: asyncpg.Pool | asyncpg.Connection, retention_days: int) -> int:
    """Forget keys older than `retention_days` (Stripe keeps them 24 hours; keep at least that)."""
    status = await pool.execute(PRUNE, retention_days)
    return int(status.split()[-1])


def _valid_key(raw: str) -> bool:
    return 0 < len(raw) <= MAX_KEY_CHARS and all(33 <= ord(c) <= 126 for c in raw)


class IdempotencyMiddleware:
    """Pure ASGI, so a streamed answer passes through as it is produced (and is recorded)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not str(scope["path"]).startswith(PATHS):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = request.headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _valid_key(key):
            await _send(send, Refused(400, "invalid_idempotency_key",
                                      f"{HEADER} must be 1 to {MAX_KEY_CHARS} visible ASCII characters"))
            return
        body = await _read_body(receive)
        if body is None:
            await _send(send, Refused(413, "body_too_large", f"a request with {HEADER} is at most "
                                                            f"{MAX_BODY_BYTES} bytes"))
            return
        gw = request.app.state.gateway
        who = caller_scope(request)
        claimed = await begin(gw.pool, who, key, fingerprint("POST", scope["path"],
                                                             scope.get("query_string", b"").decode("latin-1"), body))
        if isinstance(claimed, Refused):
            await _send(send, claimed)
            return
        if isinstance(claimed, Stored):
            await _replay(send, claimed)
            return
        scope.setdefault("state", {})["idempotency_request_id"] = claimed.request_id
        recorder = _Recorder(send)
        try:
            await self.app(scope, _replaying(body, receive), recorder.send)
        except BaseException:
            await abandon(gw.pool, who, key, claimed)
            raise
        answer = recorder.answer()
        if answer is None:
            await abandon(gw.pool, who, key, claimed)
        else:
            await finish(gw.pool, who, key, claimed, answer)


async def _read_body(receive: Receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, client: Receive) -> Receive:
    """The body read already, then the client's own channel (it says when the client goes away)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await client()
    return receive


class _Recorder:
    """Forwards the answer and keeps a copy, to store it if it is worth replaying."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size <= MAX_STORED_BYTES:
                self.chunks.append(chunk)
            self.complete = not message.get("more_body", False)
        await self._send(message)

    def answer(self) -> Stored | None:
        if not (200 <= self.status < 300 and self.complete and self.size <= MAX_STORED_BYTES):
            return None
        body = b"".join(self.chunks)
        headers = [(k, v) for k, v in self.headers if k.lower() not in _SKIPPED_HEADERS]
        if any(k.lower() == "content-type" and v.startswith("text/event-stream") for k, v in headers):
            events = [line for line in body.decode("utf-8", "replace").splitlines() if line.startswith("event:")]
            if not events or events[-1].strip() != "event: done":
                return None  # a stream that failed or was cut: a retry runs again
        return Stored(self.status, headers, body)


async def _replay(send: Send, stored: Stored) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
    headers += [(REPLAYED_HEADER.lower().encode(), b"true"), (b"content-length", str(len(stored.body)).encode())]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})


async def _send(send: Send, refused: Refused) -> None:
    body = json.dumps({"error": refused.code, "detail": refused.detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               *((k.encode(), v.encode()) for k, v in refused.headers)]
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
    log.info("idempotency_refused", status=refused.status, error=refused.code)


def openapi_parameter() -> dict[str, Any]:
    """The header as the OpenAPI documents it on every POST it applies to."""
    return {
        "name": HEADER, "in": "header", "required": False,
        "description": ("Makes the POST safe to retry: the same key with the same body gets the first "
                        "answer again (header `Idempotent-Replayed: true`) instead of acting twice. Scoped to "
                        "the caller (its session or admin token). 1-255 visible ASCII characters, e.g. a UUID "
                        "per user action. Same key with another body: 422; while the first is running: 409."),
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS},
    }


def document(app: Any) -> None:
    """Wrap `app.openapi` so every POST the header applies to documents it, with its 409 and 422."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        doc: dict[str, Any] = build()
        for path, operations in doc.get("paths", {}).items():
            post = operations.get("post") if str(path).startswith(PATHS) else None
            if post is None:
                continue
            parameters = post.setdefault("parameters", [])
            if not any(p.get("name") == HEADER for p in parameters):
                parameters.append(openapi_parameter())
            responses = post.setdefault("responses", {})
            responses.setdefault("409", {"description": f"a request with this {HEADER} is still running"})
            unprocessable = responses.setdefault("422", {"description": "invalid fields"})
            if HEADER not in unprocessable.get("description", ""):
                unprocessable["description"] += f"; or this {HEADER} was used with another request"
            responses.setdefault("400", {"description": f"malformed {HEADER}"})
        return doc

    app.openapi = openapi
