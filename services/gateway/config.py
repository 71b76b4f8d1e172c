"""Gateway settings (env prefix `GATEWAY_`): limits, admin token, time budgets of a chat turn."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.common.errors import ConfigurationError
from libs.common.settings import Settings

DEV_ADMIN_TOKEN = "dev-admin-token"  # noqa: S105  (refused in production, see check_for)


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    admin_token: SecretStr = SecretStr(DEV_ADMIN_TOKEN)
    max_body_bytes: int = Field(16_384, ge=256)
    max_message_chars: int = Field(4_000, ge=1)
    # one chat turn may wait on security, rag and an LLM: the slowest path must fit in this budget
    turn_timeout_s: float = Field(30.0, gt=0)
    security_timeout_s: float = Field(2.0, gt=0)
    history_limit: int = Field(200, ge=1)
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    # when the security service is down: refuse (safe) or let the turn through (available)
    fail_open: bool = False
    trust_forwarded_for: bool = False

    def check_for(self, settings: Settings) -> GatewaySettings:
        if settings.environment == "production" and self.admin_token.get_secret_value() in (
            "", DEV_ADMIN_TOKEN,
        ):
            raise ConfigurationError("production mode needs an explicit GATEWAY_ADMIN_TOKEN")
        return self
