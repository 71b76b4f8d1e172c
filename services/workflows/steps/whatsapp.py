"""`send_whatsapp`: a text or template message through the WhatsApp Business Cloud API
(`POST /{version}/{phone-number-id}/messages`, Bearer token from a named secret).

The API has no idempotency key and cannot be asked for a message we did not get an id for, so
this step's effect is `once`: an error answer (the API refused: nothing was sent) may be retried
when it is a rate limit or a temporary error, but a timeout or a lost connection after the
request went out is an unknown outcome and is never repeated: the run fails saying so. The
`wamid` the API returns is stored with the attempt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.workflows.steps.base import ConfigInvalid, StepCall, StepFailed, StepResult, StepType

if TYPE_CHECKING:
    from services.workflows.deps import StepEnv

# Cloud API error codes worth another attempt: throttling (4, 80007, 130429, 131056), temporary (2, 131016)
TRANSIENT_CODES = frozenset({2, 4, 80007, 130429, 131016, 131056})


class WhatsAppTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=512)
    language: str = Field("fr", min_length=2, max_length=15)
    parameters: list[str] = []  # the body's {{1}}, {{2}}, … in order


class SendWhatsAppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=3, max_length=40)  # E.164 without "+" or a template
    text: str | None = Field(None, max_length=4096)
    template: WhatsAppTemplate | None = None
    phone_number_id: str | None = None  # default WORKFLOWS_WHATSAPP_PHONE_NUMBER_ID
    token_secret: str = Field("whatsapp_token", max_length=100)
    preview_url: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> SendWhatsAppConfig:
        if (self.text is None) == (self.template is None):
            raise ValueError("send_whatsapp needs exactly one of `text` or `template`")
        return self


def validate(config: BaseModel, env: StepEnv) -> None:
    assert isinstance(config, SendWhatsAppConfig)
    if not env.has_secret(config.token_secret):
        raise ConfigInvalid(f"send_whatsapp: secret {config.token_secret!r} is not set (WORKFLOWS_SECRETS)")
    if not (config.phone_number_id or env.cfg.whatsapp_phone_number_id):
        raise ConfigInvalid("send_whatsapp: no phone_number_id (config or WORKFLOWS_WHATSAPP_PHONE_NUMBER_ID)")


def message_body(cfg: SendWhatsAppConfig) -> dict[str, Any]:
    to = cfg.to.strip().lstrip("+").replace(" ", "")
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    if cfg.text is not None:
        return body | {"type": "text", "text": {"preview_url": cfg.preview_url, "body": cfg.text}}
    assert cfg.template is not None
    template: dict[str, Any] = {"name": cfg.template.name, "language": {"code": cfg.template.language}}
    if cfg.template.parameters:
        template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p}
                                                                   for p in cfg.template.parameters]}]
    return body | {"type": "template", "template": template}


def _error(response: httpx.Response) -> StepFailed:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    code = error.get("code")
    reason = f"send_whatsapp: HTTP {response.status_code} code {code}: {error.get('message', response.text[:200])}"
    if code == 190:
        return StepFailed(f"{reason} (the access token has expired or is invalid)")
    if not error:  # no Graph error body: we cannot tell whether the message went out
        return StepFailed(reason, unknown=True)
    return StepFailed(reason, retryable=code in TRANSIENT_CODES or response.status_code == 429)


async def run(call: StepCall) -> StepResult:
    cfg: SendWhatsAppConfig = call.config
    env = call.env
    try:
        token = env.secret(cfg.token_secret)
    except KeyError as exc:
        raise StepFailed(f"send_whatsapp: secret {cfg.token_secret!r} is not set") from exc
    number = cfg.phone_number_id or env.cfg.whatsapp_phone_number_id
    url = f"{env.cfg.whatsapp_base_url.rstrip('/')}/{env.cfg.whatsapp_api_version}/{number}/messages"
    try:
        response = await env.http.post(url, json=message_body(cfg), headers={"Authorization": f"Bearer {token}"})
    except httpx.ConnectError as exc:  # refused before anything was sent
        raise StepFailed(f"send_whatsapp: cannot connect: {exc}", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise StepFailed(f"send_whatsapp: {type(exc).__name__} after sending: outcome unknown",
                         unknown=True) from exc
    if response.status_code != 200:
        raise _error(response)
    answer = response.json()
    message_id = answer["messages"][0]["id"]
    return StepResult(output={"message_id": message_id, "wa_id": (answer.get("contacts") or [{}])[0].get("wa_id")},
                      provider_id=message_id)


STEP = StepType("send_whatsapp", SendWhatsAppConfig, run, "once",
                "Send a WhatsApp text (`text`) or template (`template`) message to `to`.",
                validate=validate, raw_fields=frozenset({"token_secret"}))
