"""SMTP settings shared by every service that sends mail (env SMTP_HOST, SMTP_PORT, SMTP_FROM,
SMTP_USERNAME, SMTP_PASSWORD, SMTP_TLS, SMTP_TIMEOUT_S)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TlsMode = Literal["none", "starttls", "tls"]


class MailSettings(BaseSettings):
    """No SMTP_HOST means mail is not configured: `send_mail` then raises `MailNotConfigured`.

    `SMTP_TLS`: `starttls` (default, port 587: upgrade the plain connection and refuse a server that
    cannot), `tls` (implicit TLS, port 465), `none` (plain text; only for a relay on the same host).
    The password is a `SecretStr`: it never appears in a repr or a log line.
    """

    model_config = SettingsConfigDict(env_prefix="SMTP_", env_file=".env", extra="ignore",
                                      populate_by_name=True)

    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    from_: str | None = Field(None, validation_alias="SMTP_FROM")
    username: str | None = None
    password: SecretStr | None = None
    tls: TlsMode = "starttls"
    timeout_s: float = Field(30.0, gt=0, le=600)
    # the name given in EHLO; unset: the sender's domain (looking up this host's FQDN can take seconds)
    helo_name: str | None = Field(None, max_length=255)
    # a CA bundle for a server whose certificate a private CA signed (tests: the fake's self-signed cert)
    ca_file: str | None = None

    @field_validator("host", "from_", "username", "password", "helo_name", "ca_file", "port", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _credentials_go_together(self) -> MailSettings:
        if (self.username is None) != (self.password is None):
            raise ValueError("set both SMTP_USERNAME and SMTP_PASSWORD, or neither")
        return self

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"none": 25, "starttls": 587, "tls": 465}[self.tls]

    @property
    def configured(self) -> bool:
        return bool(self.host and self.from_)

    def missing_reason(self) -> str | None:
        """Why mail cannot be sent with these settings, or None when it can."""
        if not self.host:
            return "SMTP_HOST is not set: no mail server is configured"
        if not self.from_:
            return "SMTP_FROM is not set: mail needs a sender address"
        return None
