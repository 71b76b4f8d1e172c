"""Rows of the agents tables as the contract's models (libs/common/events/agents.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from libs.common.events.agents import (
    AgentEventInfo,
    ApprovalInfo,
    Budget,
    ObjectiveInfo,
    RunInfo,
    StepInfo,
    ToolCallInfo,
)


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def budget_of(raw: Any) -> Budget:
    """The stored budget (the spec's camelCase default too) as a Budget."""
    if not isinstance(raw, dict):
        return Budget()
    keys = {"maxSteps": "max_steps", "maxToolCalls": "max_tool_calls", "maxDurationMs": "max_duration_ms"}
    return Budget.model_validate({keys.get(k, k): v for k, v in raw.items() if keys.get(k, k) in Budget.model_fields})


def objective(row: asyncpg.Record) -> ObjectiveInfo:
    return ObjectiveInfo(
        id=str(row["id"]), agent=row["agent_name"] or "", title=row["title"], description=row["description"] or "",
        tools_allowed=list(row["tools_allowed"] or []), budget=budget_of(row["budget"]),
        risk_level=row["risk_level"] if row["risk_level"] in ("low", "medium", "high") else "medium",
        priority=row["priority_score"] or 0, status=row["status"] or "pending", created_at=iso(row["created_at"]))


def run(row: asyncpg.Record) -> RunInfo:
    meta = row["metadata"] if isinstance(row["metadata"], dict) else {}
    usage = meta.get("usage") or {}
    return RunInfo(
        id=str(row["id"]), objective_id=str(row["objective_id"]), agent=row["agent_name"] or "",
        run_number=row["run_number"], status=row["status"], stop_reason=row["stop_reason"], summary=row["summary"],
        steps=row["steps_count"] or 0, tool_calls=row["tool_calls_count"] or 0,
        tokens=int(usage.get("total_tokens", 0)), cost=meta.get("cost"), started_at=iso(row["started_at"]),
        finished_at=iso(row["completed_at"]), title=row["title"] or "")


def step(row: asyncpg.Record) -> StepInfo:
    risk = row["risk_level"] if row["risk_level"] in ("low", "medium", "high") else None
    return StepInfo(id=str(row["id"]), step_number=row["step_number"], thought=row["thought"], tool=row["tool"],
                    args=row["args"] if isinstance(row["args"], dict) else None, result=row["result"],
                    status=row["status"], risk_level=risk, duration_ms=row["duration_ms"],
                    created_at=iso(row["created_at"]))


def tool_call(row: asyncpg.Record) -> ToolCallInfo:
    return ToolCallInfo(id=str(row["id"]), step_id=str(row["step_id"]) if row["step_id"] else None,
                        tool=row["tool_name"], args=row["args"] if isinstance(row["args"], dict) else {},
                        result=row["result"], status=row["status"], error=row["error"],
                        duration_ms=row["duration_ms"], created_at=iso(row["created_at"]))


def approval(row: asyncpg.Record) -> ApprovalInfo:
    risk = row["risk_level"] if row["risk_level"] in ("low", "medium", "high") else "high"
    return ApprovalInfo(
        id=str(row["id"]), run_id=str(row["run_id"]),
        tool_call_id=str(row["tool_call_id"]) if row["tool_call_id"] else None, agent=row["agent_name"] or "",
        tool=row["tool_name"] or "", args=row["args"] if isinstance(row["args"], dict) else {}, risk_level=risk,
        status=row["status"], reason=row["decision_reason"] or row["risk_reason"], decided_by=row["approved_by"],
        expires_at=iso(row["expires_at"]), decided_at=iso(row["approved_at"]), created_at=iso(row["created_at"]),
        objective_title=row["objective_title"] or "")


def event(row: asyncpg.Record) -> AgentEventInfo:
    return AgentEventInfo(id=str(row["id"]), type=row["event_type"],
                          data=row["data"] if isinstance(row["data"], dict) else {}, created_at=iso(row["created_at"]))
