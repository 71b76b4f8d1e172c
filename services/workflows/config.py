"""Workflows service settings (env WORKFLOWS_*). SMTP comes from libs/mail (SMTP_*), the LLM from
LLM_*, files from COMPTOIR_STORAGE*, the shop's time zone from COMPTOIR_TIMEZONE."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkflowsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFLOWS_", env_file=".env", extra="ignore")

    # runs one replica drives at once (every replica polls the same run table)
    max_parallel_runs: int = Field(32, ge=1, le=1000)
    # a replica that stops renewing its lease loses its runs to another after this long
    lease_s: float = Field(30.0, ge=0.5, le=3600)
    poll_interval_s: float = Field(1.0, gt=0, le=60)
    cron_interval_s: float = Field(1.0, gt=0, le=60)
    # after downtime a cron workflow fires its latest missed tick once ("once") or not at all ("skip")
    cron_catch_up: Literal["once", "skip"] = "once"
    # a tick this late is still "on time" under "skip" (the scheduler's own jitter)
    cron_grace_s: float = Field(60.0, ge=0)
    retry_max_delay_s: float = Field(300.0, gt=0)
    # named secrets steps refer to (`token_secret`, `secret`), as JSON: {"whatsapp_token": "..."}
    secrets: dict[str, SecretStr] = {}
    # http_request may call only these hosts (exact names, or ".example.com" for its subdomains)
    http_allowed_hosts: list[str] = []
    whatsapp_base_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v21.0"
    whatsapp_phone_number_id: str | None = None
    drive_base_url: str = "https://www.googleapis.com"
    http_timeout_s: float = Field(15.0, gt=0, le=300)
    facts_cache_s: float = Field(5.0, ge=0)
    # how long `workflows.run` and the CLI keep run history (the maintenance job prunes older runs)
    run_retention_days: int = Field(30, ge=1)
