"""`upload_drive`: a file from the storage port to Google Drive (API v3 multipart upload).

`POST /upload/drive/v3/files?uploadType=multipart` with a `multipart/related` body (JSON metadata,
then the bytes), Bearer token from a named secret. The file's `appProperties.comptoirKey` carries
the step's idempotency key, so after an unknown outcome the step first asks Drive
(`GET /drive/v3/files?q=appProperties has {…}`) and uploads again only if nothing is there.
Multipart uploads carry at most 5 MB (Drive's limit for this upload type): a larger file fails the
step with that reason.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from libs.storage import FileNotFound
from services.workflows.steps.base import ConfigInvalid, StepCall, StepFailed, StepResult, StepType

if TYPE_CHECKING:
    from services.workflows.deps import StepEnv

MULTIPART_MAX_BYTES = 5 * 1024 * 1024
TRANSIENT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "backendError", "internalError"})
FIELDS = "id,name,mimeType,size,webViewLink,appProperties"


class UploadDriveConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file_key: str = Field(min_length=1, max_length=500)  # the storage key, e.g. "quotes/Q-2026-0001.pdf"
    name: str | None = Field(None, max_length=500)  # default: the key's last part
    folder_id: str | None = Field(None, max_length=200)
    token_secret: str = Field("drive_token", max_length=100)


def validate(config: BaseModel, env: StepEnv) -> None:
    assert isinstance(config, UploadDriveConfig)
    if not env.has_secret(config.token_secret):
        raise ConfigInvalid(f"upload_drive: secret {config.token_secret!r} is not set (WORKFLOWS_SECRETS)")


def _headers(call: StepCall) -> dict[str, str]:
    try:
        return {"Authorization": f"Bearer {call.env.secret(call.config.token_secret)}"}
    except KeyError as exc:
        raise StepFailed(f"upload_drive: secret {call.config.token_secret!r} is not set") from exc


def multipart_body(metadata: dict[str, Any], data: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = f"comptoir-{uuid.uuid4().hex}"
    head = (f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{json.dumps(metadata)}\r\n"
            f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/related; boundary={boundary}"


def _error(response: httpx.Response) -> StepFailed:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    reasons = {e.get("reason") for e in error.get("errors", [])}
    reason = f"upload_drive: HTTP {response.status_code}: {error.get('message', response.text[:200])}"
    if response.status_code == 401:
        return StepFailed(f"{reason} (the access token is invalid or expired)")
    transient = response.status_code in (429, 500, 502, 503, 504) or bool(reasons & TRANSIENT_REASONS)
    return StepFailed(reason, retryable=transient, unknown=response.status_code >= 500)


def _result(file: dict[str, Any]) -> StepResult:
    return StepResult(output={"file_id": file["id"], "name": file.get("name"), "mime_type": file.get("mimeType"),
                              "web_view_link": file.get("webViewLink")}, provider_id=file["id"])


async def run(call: StepCall) -> StepResult:
    cfg: UploadDriveConfig = call.config
    try:
        stored = await call.env.storage.get(cfg.file_key)
    except FileNotFound as exc:
        raise StepFailed(f"upload_drive: no file {cfg.file_key!r} in storage") from exc
    if stored.info.size > MULTIPART_MAX_BYTES:
        raise StepFailed(f"upload_drive: {cfg.file_key} is {stored.info.size} bytes, over Drive's 5 MB "
                         "limit for a multipart upload")
    name = cfg.name or cfg.file_key.rsplit("/", 1)[-1]
    metadata: dict[str, Any] = {"name": name, "mimeType": stored.info.content_type,
                                "appProperties": {"comptoirKey": call.idempotency_key}}
    if cfg.folder_id:
        metadata["parents"] = [cfg.folder_id]
    body, content_type = multipart_body(metadata, stored.data, stored.info.content_type)
    url = f"{call.env.cfg.drive_base_url.rstrip('/')}/upload/drive/v3/files"
    try:
        response = await call.env.http.post(url, params={"uploadType": "multipart", "fields": FIELDS}, content=body,
                                            headers=_headers(call) | {"Content-Type": content_type})
    except httpx.HTTPError as exc:
        raise StepFailed(f"upload_drive: {type(exc).__name__}: {exc}", retryable=True, unknown=True) from exc
    if response.status_code != 200:
        raise _error(response)
    return _result(response.json())


async def lookup(call: StepCall) -> StepResult | None:
    """The file an earlier attempt uploaded under this step's key, if Drive has it."""
    query = f"appProperties has {{ key='comptoirKey' and value='{call.idempotency_key}' }} and trashed = false"
    url = f"{call.env.cfg.drive_base_url.rstrip('/')}/drive/v3/files"
    try:
        response = await call.env.http.get(url, params={"q": query, "fields": f"files({FIELDS})", "spaces": "drive"},
                                           headers=_headers(call))
    except httpx.HTTPError as exc:
        raise StepFailed(f"upload_drive: lookup failed: {exc}", retryable=True, unknown=True) from exc
    if response.status_code != 200:
        failure = _error(response)
        raise StepFailed(f"lookup: {failure.reason}", retryable=failure.retryable, unknown=True)
    files = response.json().get("files", [])
    return _result(files[0]) if files else None


STEP = StepType("upload_drive", UploadDriveConfig, run, "lookup",
                "Upload a stored file (`file_key`) to Google Drive (`folder_id`, `name`).",
                validate=validate, lookup=lookup, raw_fields=frozenset({"token_secret"}))
