"""An agent's effective settings: `app_agent_config` (every agent's defaults) overridden by the agent's
own `app_agent_registry.config`, then by the objective (budget, risk level) and per tool by its
assignment's config (`risk_level`, `require_approval`)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from libs.common.events.agents import Budget
from services.agents.tools import RISK_ORDER, TOOLS

RISKS = ("low", "medium", "high")


def merged_config(defaults: dict[str, Any], agent_config: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(defaults)
    merged.update(agent_config or {})
    return merged


def default_budget(config: dict[str, Any]) -> Budget:
    raw = config.get("default_budget")
    try:
        return Budget.model_validate(raw) if isinstance(raw, dict) else Budget()
    except ValidationError:
        return Budget()


def default_risk(config: dict[str, Any]) -> str:
    policy = config.get("approval_policy")
    risk = policy.get("min_risk") if isinstance(policy, dict) else None
    return risk if risk in RISKS else "medium"


def approval_ttl_hours(config: dict[str, Any]) -> float:
    value = config.get("approval_ttl_hours", 24)
    return float(value) if isinstance(value, int | float) and value > 0 else 24.0


def llm_overrides(config: dict[str, Any]) -> dict[str, Any]:
    """Per-agent model and temperature, handed to the LLM call (None: the LLM_* settings)."""
    extra: dict[str, Any] = {}
    if isinstance(config.get("model"), str) and config["model"]:
        extra["model"] = config["model"]
    temperature = config.get("temperature")
    if isinstance(temperature, int | float) and 0 <= temperature <= 2:
        extra["temperature"] = float(temperature)
    return extra


def tool_risk(tool: str, assignment: dict[str, Any] | None) -> str:
    """The tool's risk for this agent: the assignment may raise (or lower) the tool's own."""
    override = (assignment or {}).get("risk_level")
    if override in RISKS:
        return str(override)
    return TOOLS[tool].risk if tool in TOOLS else "high"


def requires_approval(tool: str, risk: str, threshold: str, assignment: dict[str, Any] | None) -> bool:
    forced = (assignment or {}).get("require_approval")
    if isinstance(forced, bool):
        return forced
    return RISK_ORDER.get(risk, 2) >= RISK_ORDER.get(threshold, 1)
