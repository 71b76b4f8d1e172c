"""Security service settings (env prefix SECURITY_): the guard's own (libs.guard.settings.GuardSettings,
shared with chat) plus the service's. Limits here are defaults: the admin config key `rate_limits`
(app_admin_config) overrides them live, so operators tune limits without a deploy."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from libs.guard.settings import GuardSettings


class Limit(BaseModel):
    max: int = Field(ge=0)
    window_seconds: int = Field(gt=0)
    block_seconds: int = Field(0, ge=0)


class Escalation(BaseModel):
    """Only blocked messages (high-confidence attacks) count, never flags: `incidents` of them from one
    session within the window block that session; attacks from `ip_sessions` distinct sessions of one
    address block the address (docs/security.md, "Escalation")."""

    incidents: int = Field(3, ge=1)  # blocked messages from one session within the window…
    window_seconds: int = Field(600, gt=0)
    block_seconds: int = Field(900, ge=1)  # …block the session (or the address) for this long
    ip_sessions: int = Field(3, ge=2)  # distinct attacking sessions behind one address that block it


class RateLimits(BaseModel):
    session: Limit = Limit(max=30, window_seconds=60, block_seconds=300)
    ip: Limit = Limit(max=120, window_seconds=60, block_seconds=600)
    # a route named `family:detail` (e.g. `console.login:<account hash>`) counts under its own key
    # with the limit of `family` when it has none of its own: per-account login attempts
    routes: dict[str, Limit] = Field(default_factory=lambda: {
        "default": Limit(max=3000, window_seconds=60),
        "console.login": Limit(max=8, window_seconds=300, block_seconds=300),
    })
    escalation: Escalation = Escalation()

    def route(self, name: str) -> Limit:
        family = name.partition(":")[0]
        return (self.routes.get(name) or self.routes.get(family) or self.routes.get("default")
                or Limit(max=3000, window_seconds=60))

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


class SecuritySettings(GuardSettings):
    """GuardSettings (thresholds, classifier, secrets…) and the service's own live-config and limits."""

    model_config = SettingsConfigDict(env_prefix="SECURITY_", env_file=".env", extra="ignore")

    config_ttl_s: float = Field(2.0, ge=0)  # how long admin rate limits are cached
    # runtime flags arrive through NOTIFY at once; polling catches a lost notification
    flags_poll_s: float = Field(0.5, gt=0)
    rate_limits: RateLimits = RateLimits()
