"""`send_email`: one e-mail through libs/mail, French or English, sent once as far as SMTP allows.

The Message-ID is chosen before the first attempt and recorded with it; every attempt sends the
same one. SMTP cannot be asked whether a message arrived and servers do not deduplicate, so after
an unknown outcome (a worker that died mid-send, a timeout waiting for the `250`) the message is
sent again with the same Message-ID: only a crash between the server's acceptance and our commit
of its queue id can deliver it twice (many mailbox providers then show one, by Message-ID).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.mail import MailError, MailNotConfigured, new_message_id, send_mail
from services.workflows.steps.base import StepCall, StepFailed, StepResult, StepType


class MailText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=998)
    body: str = Field(min_length=1, max_length=200_000)
    html: str | None = Field(None, max_length=500_000)


class SendEmailConfig(MailText):
    to: str | list[str]
    # which text to send: a template too (e.g. "{{ event.locale }}"); empty: the workflow's locale
    locale: str = ""
    # the texts in other languages; the top-level subject/body are the default language's
    translations: dict[Literal["fr", "en"], MailText] = {}

    @model_validator(mode="after")
    def _recipients(self) -> SendEmailConfig:
        if isinstance(self.to, list) and not self.to:
            raise ValueError("send_email needs at least one recipient in `to`")
        return self


def _recipients(to: str | list[str]) -> list[str]:
    items = [to] if isinstance(to, str) else to
    found = [part.strip() for item in items for part in item.split(",") if part.strip()]
    bad = [r for r in found if "@" not in r]
    if not found or bad:
        raise StepFailed(f"send_email: no valid recipient in {to!r} (rendered from the template)")
    return found


def _text(cfg: SendEmailConfig, locale: str) -> MailText:
    return cfg.translations.get(locale, cfg) if locale in ("fr", "en") else cfg  # type: ignore[call-overload]


def prepare(call: StepCall) -> dict[str, Any]:
    return {"message_id": new_message_id(call.env.mail)}


async def run(call: StepCall) -> StepResult:
    cfg: SendEmailConfig = call.config
    locale = cfg.locale.strip() or str(call.context.get("locale", "fr"))
    text = _text(cfg, locale)
    to = _recipients(cfg.to)
    try:
        sent = await send_mail(call.env.mail, to, text.subject, text.body, html=text.html,
                               message_id=call.prepared["message_id"])
    except MailNotConfigured as exc:
        raise StepFailed(f"send_email: mail is not configured: {exc.reason}") from exc
    except MailError as exc:
        raise StepFailed(f"send_email: {exc.reason}", retryable=exc.transient) from exc
    return StepResult(output={"message_id": sent.message_id, "queue_id": sent.queue_id, "to": list(sent.recipients),
                              "locale": locale if locale in cfg.translations else "default"},
                      provider_id=sent.queue_id)


STEP = StepType("send_email", SendEmailConfig, run, "resend",
                "Send an e-mail (SMTP_*): `to`, `subject`, `body`, optional `html`, `locale`, `translations`.",
                prepare=prepare)
