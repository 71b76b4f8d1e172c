"""Security service settings (env prefix SECURITY_). Limits here are defaults: the admin config key
`rate_limits` (app_admin_config) overrides them live, so operators tune limits without a deploy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Limit(BaseModel):
    max: int = Field(ge=0)
    window_seconds: int = Field(gt=0)
    block_seconds: int = Field(0, ge=0)


class Escalation(BaseModel):
    incidents: int = Field(3, ge=1)  # this many incidents from one session or IP within the window…
    window_seconds: int = Field(600, gt=0)
    block_seconds: int = Field(900, ge=1)  # …block both for this long


class RateLimits(BaseModel):
    session: Limit = Limit(max=30, window_seconds=60, block_seconds=300)
    ip: Limit = Limit(max=120, window_seconds=60, block_seconds=600)
    routes: dict[str, Limit] = Field(default_factory=lambda: {"default": Limit(max=3000, window_seconds=60)})
    escalation: Escalation = Escalation()

    def route(self, name: str) -> Limit:
        return self.routes.get(name) or self.routes.get("default") or Limit(max=3000, window_seconds=60)

    def merged(self, override: dict[str, Any] | None) -> RateLimits:
        """These limits with the admin config's `rate_limits` value laid over them (invalid → unchanged)."""
        if not override:
            return self
        data = self.model_dump()
        for key, value in override.items():
            if key == "routes" and isinstance(value, dict):
                data["routes"] = {**data["routes"], **value}
            elif key in data and isinstance(value, dict):
                data[key] = {**data[key], **value}
        return RateLimits.model_validate(data)


class SecuritySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SECURITY_", env_file=".env", extra="ignore")

    classifier_dir: Path | None = None  # folder with model.onnx + tokenizer.json (optional)
    classifier_min: float = Field(0.5, ge=0, le=1)
    classifier_weight: float = Field(0.9, ge=0, le=1)
    flag_threshold: float = Field(0.5, gt=0, le=1)
    block_threshold: float = Field(0.85, gt=0, le=1)
    max_message_chars: int = Field(6000, ge=100)
    config_ttl_s: float = Field(2.0, ge=0)  # how long flags and admin limits are cached
    overlap_block: float = Field(0.2, gt=0, le=1)  # share of system-prompt shingles that blocks a reply
    secrets: list[str] = Field(default_factory=list)  # company secrets the output guard always looks for
    rate_limits: RateLimits = RateLimits()
