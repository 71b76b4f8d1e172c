"""Settings of the agents service (env prefix `AGENTS_`). The LLM is `LLM_*` (libs/common/llm.py),
outgoing mail `SMTP_*` (libs/mail); an agent's own budget, approval policy, model and temperature
live in `app_agent_config` and `app_agent_registry.config` (docs/agents.md)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AgentsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AGENTS_", env_file=".env", extra="ignore")

    # a worker holds a run for this long, renewing it every third while it works; a worker that died
    # loses the run this long after its last renewal, and another worker takes it over
    lease_s: float = Field(15.0, ge=0.5, le=600)
    # how often a worker looks for runs whose lease lapsed (their worker died) or whose step message
    # was lost, and sends them a new step message
    recovery_interval_s: float = Field(5.0, gt=0, le=600)
    # how often pending approvals past their expiry are expired (and their runs cancelled)
    approval_sweep_interval_s: float = Field(60.0, gt=0, le=3600)
    # concurrent steps per worker (the prefetch of queue agents.runs); each holds two connections
    step_concurrency: int = Field(8, ge=1, le=256)
    tool_timeout_s: float = Field(20.0, gt=0, le=600)
    # times a tool call still being handled by its owner (`in_progress`) is asked again on resume
    in_progress_retries: int = Field(20, ge=0, le=1000)
    # where notify_owner and "the owner" in send_email go; None: the company fact contact_email
    owner_email: str | None = None
    # LLM prices per million tokens (the run's cost in its metadata); 0: not counted
    price_input_per_mtok: Decimal = Field(Decimal("0"), ge=0)
    price_output_per_mtok: Decimal = Field(Decimal("0"), ge=0)
    # tool results longer than this are cut before they go back to the model
    max_tool_result_chars: int = Field(8000, ge=200, le=200_000)
    # a running run nobody holds and nobody moved for this long gets a new step message (a lost one)
    stall_s: float = Field(60.0, gt=0, le=86_400)
    # the runner's copy of the registry and app_agent_config is reloaded at most this often
    registry_cache_s: float = Field(5.0, ge=0, le=3600)
