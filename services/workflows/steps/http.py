"""`http_request`: a signed webhook to a host on WORKFLOWS_HTTP_ALLOWED_HOSTS only.

Headers: `Webhook-Id` (the step's idempotency key, the same on every attempt, so the receiver
drops a repeat), `Comptoir-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
named secret. A connection error, a timeout or a 5xx is retried (the receiver deduplicates by
`Webhook-Id`); a 4xx fails the step (a repeat would get the same answer). Redirects are not
followed (they could leave the allow-list).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from services.workflows.steps.base import ConfigInvalid, StepCall, StepFailed, StepResult, StepType
from services.workflows.templates import is_template

if TYPE_CHECKING:
    from services.workflows.deps import StepEnv


class HttpRequestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2000)
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    body: Any = None  # JSON; strings inside are templates; None: the event and earlier outputs
    secret: str = Field("webhook_secret", max_length=100)  # the name of a WORKFLOWS_SECRETS entry
    headers: dict[str, str] = {}


def host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == a.lower() or (a.startswith(".") and host.endswith(a.lower())) for a in allowed)


def _check_url(url: str, allowed: list[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigInvalid(f"http_request: {url!r} is not an http(s) URL")
    if not host_allowed(parts.hostname, allowed):
        raise ConfigInvalid(f"http_request: host {parts.hostname!r} is not on WORKFLOWS_HTTP_ALLOWED_HOSTS")


def validate(config: BaseModel, env: StepEnv) -> None:
    assert isinstance(config, HttpRequestConfig)
    origin = config.url.split("/", 3)[:3]
    if is_template("/".join(origin)):
        raise ConfigInvalid("http_request: the URL's scheme and host must be written out, not a template")
    _check_url(config.url, env.cfg.http_allowed_hosts)
    if not env.has_secret(config.secret):
        raise ConfigInvalid(f"http_request: secret {config.secret!r} is not set (WORKFLOWS_SECRETS)")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


async def run(call: StepCall) -> StepResult:
    cfg: HttpRequestConfig = call.config
    try:
        _check_url(cfg.url, call.env.cfg.http_allowed_hosts)
        secret = call.env.secret(cfg.secret)
    except ConfigInvalid as exc:
        raise StepFailed(str(exc)) from exc
    except KeyError as exc:
        raise StepFailed(f"http_request: secret {cfg.secret!r} is not set (WORKFLOWS_SECRETS)") from exc
    payload = cfg.body if cfg.body is not None else {"workflow": call.workflow, "run_id": call.run_id,
                                                     "event": call.context.get("event"),
                                                     "steps": call.context.get("steps")}
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    headers = {**cfg.headers, "Content-Type": "application/json", "Webhook-Id": call.idempotency_key,
               "Comptoir-Signature": signature(secret, int(time.time()), body)}
    try:
        response = await call.env.http.request(cfg.method, cfg.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise StepFailed(f"http_request: {type(exc).__name__}: {exc}", retryable=True) from exc
    if response.status_code >= 500:
        raise StepFailed(f"http_request: HTTP {response.status_code}", retryable=True)
    if response.status_code >= 300:
        raise StepFailed(f"http_request: HTTP {response.status_code}: {response.text[:300]}")
    try:
        answer: Any = response.json()
    except ValueError:
        answer = response.text[:2000]
    return StepResult(output={"status": response.status_code, "body": answer})


STEP = StepType("http_request", HttpRequestConfig, run, "idempotent",
                "POST a signed JSON webhook to an allow-listed host (`url`, `body`, `secret`).",
                validate=validate, raw_fields=frozenset({"secret"}))
