"""Outgoing mail over SMTP, shared by every service: `MailSettings` (env `SMTP_*`) and `send_mail`.

    sent = await send_mail(MailSettings(), "owner@shop.fr", "Sujet", "Texte", message_id=stored_id)
    sent.queue_id   # the server's id from its 250 reply; sent.message_id the Message-ID header

No SMTP_HOST → `MailNotConfigured` (its `reason` says what is missing). A refusal → `MailError`
with `transient` (4xx or connection trouble) or not (5xx).
"""

from libs.mail.send import MailError, MailNotConfigured, SentMail, new_message_id, parse_queue_id, send_mail
from libs.mail.settings import MailSettings, TlsMode

__all__ = ["MailError", "MailNotConfigured", "MailSettings", "SentMail", "TlsMode", "new_message_id",
           "parse_queue_id", "send_mail"]
