"""Platform-wide settings, read from environment variables (and an optional `.env`)."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET_PREFIX = "dev-insecure-"  # noqa: S105 - marks generated development secrets
# where the gateway answers when COMPTOIR_PUBLIC_URL is unset (comptoir up sets it from --host/--port)
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEZONE = "Europe/Paris"  # COMPTOIR_TIMEZONE when unset


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias="COMPTOIR_ENV"
    )
    database_url: SecretStr | None = Field(None, validation_alias="DATABASE_URL")
    amqp_url: SecretStr = Field(
        SecretStr("amqp://guest:guest@127.0.0.1:5672/"), validation_alias="AMQP_URL"
    )
    data_dir: Path = Field(REPO_ROOT / ".comptoir", validation_alias="COMPTOIR_DATA_DIR")
    secret_key: SecretStr | None = Field(None, validation_alias="COMPTOIR_SECRET_KEY")
    # the gateway's public base URL (scheme, host, optional path; no trailing slash): every link a
    # visitor or the owner receives (e-mails, quote PDFs, the console) starts with it
    public_url: str | None = Field(None, validation_alias="COMPTOIR_PUBLIC_URL")
    # the shop's time zone (IANA name): dates on quotes, opening hours, schedules
    timezone: str = Field(DEFAULT_TIMEZONE, validation_alias="COMPTOIR_TIMEZONE")

    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_json: bool | None = Field(None, validation_alias="LOG_JSON")

    db_pool_min: int = Field(1, ge=0, validation_alias="DB_POOL_MIN")
    db_pool_max: int = Field(10, ge=1, validation_alias="DB_POOL_MAX")
    db_statement_timeout_ms: int = Field(15_000, ge=100, validation_alias="DB_STATEMENT_TIMEOUT_MS")
    db_connect_timeout_s: float = Field(10.0, gt=0, validation_alias="DB_CONNECT_TIMEOUT_S")

    events_exchange: str = Field("comptoir.events", validation_alias="COMPTOIR_EVENTS_EXCHANGE")
    queue_prefix: str = Field("", validation_alias="COMPTOIR_QUEUE_PREFIX")
    delivery_limit: int = Field(5, ge=1, validation_alias="COMPTOIR_DELIVERY_LIMIT")
    rpc_timeout_s: float = Field(10.0, gt=0, validation_alias="COMPTOIR_RPC_TIMEOUT_S")
    # How long a writing request's first run holds its request id before a retry may take it over
    # (libs/common/requestlog.py); longer than any request runs. A broker redelivery takes over at once.
    request_lease_s: float = Field(60.0, gt=0, validation_alias="COMPTOIR_REQUEST_LEASE_S")
    outbox_retention_days: int = Field(30, ge=0, validation_alias="OUTBOX_RETENTION_DAYS")
    outbox_poll_interval_s: float = Field(1.0, gt=0, validation_alias="OUTBOX_POLL_INTERVAL_S")
    outbox_batch_size: int = Field(200, ge=1, validation_alias="OUTBOX_BATCH_SIZE")
    # a worker's /healthz /readyz /metrics port (libs/common/health.py); unset: not served
    health_port: int | None = Field(None, ge=0, le=65535, validation_alias="COMPTOIR_HEALTH_PORT")
    health_host: str = Field("127.0.0.1", validation_alias="COMPTOIR_HEALTH_HOST")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip().rstrip("/")
        scheme, sep, rest = url.partition("://")
        if not sep or scheme not in ("http", "https") or not rest or rest.startswith("/") or any(
                c in url for c in " ?#"):
            raise ValueError(f"COMPTOIR_PUBLIC_URL must be an http(s) URL without query, got {value!r}")
        return url

    @field_validator("database_url", "amqp_url")
    @classmethod
    def _broker_and_database_urls(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """A URL the drivers can parse (checked here: asyncpg and aio-pika fail with a traceback). The
        message names the variable, never its value (it holds a password)."""
        if value is None or not value.get_secret_value():
            return value
        name, schemes = (("DATABASE_URL", ("postgresql", "postgres")) if info.field_name == "database_url"
                         else ("AMQP_URL", ("amqp", "amqps")))
        parts = urlsplit(value.get_secret_value().strip())
        if parts.scheme not in schemes:
            raise ValueError(f"{name} must be a {schemes[0]}:// URL (its scheme is {parts.scheme or 'missing'!r})")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError as exc:
            raise ValueError(f"{name} has an invalid port") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"COMPTOIR_TIMEZONE is not a known time zone: {value!r} (e.g. Europe/Paris)") from exc
        return value.strip()

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        missing = [
            name
            for name, value in (("COMPTOIR_SECRET_KEY", self.secret_key), ("DATABASE_URL", self.database_url))
            if value is None or not value.get_secret_value()
        ]
        if "guest:guest@" in self.amqp_url.get_secret_value():
            missing.append("AMQP_URL (guest credentials)")
        if missing:
            raise ValueError(f"production mode needs explicit settings: {', '.join(missing)}")
        return self

    def secret(self) -> str:
        """The signing secret; outside production a per-data-dir random one is created once."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(DEV_SECRET_PREFIX + secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def queue(self, name: str) -> str:
        return f"{self.queue_prefix}{name}"

    def public_base_url(self) -> str:
        """COMPTOIR_PUBLIC_URL, or the gateway's development address when it is unset."""
        return self.public_url or DEFAULT_PUBLIC_URL

    def public_link(self, path: str) -> str:
        """An absolute link to one of the gateway's paths, e.g. public_link("/v1/files/quotes/x.pdf")."""
        return f"{self.public_base_url()}/{path.lstrip('/')}"

    def zone(self) -> ZoneInfo:
        """The shop's time zone (COMPTOIR_TIMEZONE)."""
        return ZoneInfo(self.timezone)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
