"""Send one e-mail over SMTP (aiosmtplib) and keep what the server said about it.

SMTP servers do not deduplicate: a caller that must send once records its attempt (with the
Message-ID it chose) before calling `send_mail`, and the queue id after. Only a crash between the
server's `250` to DATA and the caller's commit can then send the message twice.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from libs.common.logging import get_logger
from libs.mail.settings import MailSettings

log = get_logger(__name__)

# "250 2.0.0 Ok: queued as 4F2C81A3B" (Postfix), "250 OK id=1rAbCd-000Xyz-7Q" (Exim),
# "250 2.0.0 Ok <id>" / "250 2.0.0 OK  1701234 - gsmtp" (others): the first two name the id.
_QUEUED_AS = re.compile(r"queued as\s+<?([\w.@-]+)>?", re.IGNORECASE)
_ID_EQUALS = re.compile(r"\bid=<?([\w.@-]+)>?", re.IGNORECASE)


class MailError(Exception):
    """The message was not accepted. `transient` (4xx, connection trouble) may succeed later."""

    def __init__(self, reason: str, *, transient: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.code = code


class MailNotConfigured(MailError):
    """No SMTP server (or no sender) is configured; `reason` says which setting is missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, transient=False)


@dataclass(frozen=True)
class SentMail:
    message_id: str          # our Message-ID header, angle brackets included
    queue_id: str            # the server's id from its 250 reply (the whole reply text if it names none)
    response: str            # the server's reply to DATA, for the record
    recipients: tuple[str, ...]


def parse_queue_id(reply: str) -> str:
    """The server's queue id from its reply to DATA; the reply itself when it gives none."""
    for pattern in (_QUEUED_AS, _ID_EQUALS):
        match = pattern.search(reply)
        if match:
            return match.group(1)
    return reply.strip()


def _domain(settings: MailSettings) -> str:
    return (settings.from_ or "comptoir.invalid").rpartition("@")[2].strip(" >") or "comptoir.invalid"


def new_message_id(settings: MailSettings) -> str:
    """A Message-ID in the sender's domain (callers store it before sending)."""
    return make_msgid(domain=_domain(settings))


def build_message(settings: MailSettings, to: list[str], subject: str, body: str, *,
                  html: str | None, message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.from_ or ""
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def _tls_context(settings: MailSettings) -> ssl.SSLContext | None:
    if settings.tls == "none":
        return None
    return ssl.create_default_context(cafile=settings.ca_file)


def _client(settings: MailSettings) -> aiosmtplib.SMTP:
    password = settings.password.get_secret_value() if settings.password else None
    return aiosmtplib.SMTP(
        hostname=settings.host, port=settings.effective_port, timeout=settings.timeout_s,
        use_tls=settings.tls == "tls", start_tls=settings.tls == "starttls",
        tls_context=_tls_context(settings), username=settings.username, password=password,
        local_hostname=settings.helo_name or _domain(settings))


async def send_mail(settings: MailSettings, to: str | list[str], subject: str, body: str, *,
                    html: str | None = None, message_id: str | None = None) -> SentMail:
    """Send a text (and optionally HTML) message; raise MailNotConfigured / MailError on refusal."""
    reason = settings.missing_reason()
    if reason is not None:
        raise MailNotConfigured(reason)
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or any("@" not in r for r in recipients):
        raise MailError(f"invalid recipient list {recipients!r}", transient=False)
    message_id = message_id or new_message_id(settings)
    msg = build_message(settings, recipients, subject, body, html=html, message_id=message_id)
    try:
        async with _client(settings) as smtp:
            refused, reply = await smtp.send_message(msg)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        raise MailError(f"every recipient refused: {exc}", transient=all(400 <= c < 500 for c in codes),
                        code=codes[0] if codes else None) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise MailError(f"server refused: {exc.code} {exc.message}", transient=400 <= exc.code < 500,
                        code=exc.code) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MailError(f"SMTP connection to {settings.host}:{settings.effective_port} failed: {exc}",
                        transient=True) from exc
    accepted = tuple(r for r in recipients if r not in refused)
    queue_id = parse_queue_id(reply)
    log.info("mail_sent", message_id=message_id, queue_id=queue_id, recipients=len(accepted),
             refused=len(refused), host=settings.host)
    return SentMail(message_id=message_id, queue_id=queue_id, response=reply, recipients=accepted)
