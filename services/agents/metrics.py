"""Prometheus series of the agents service, on the process's platform registry.

Counted from the run's facts (`facts.record`, the one place every run, tool call and approval is
written down): `comptoir serve agents` exports them on its health port, `comptoir up` on the gateway's
`/metrics`. A fact is counted when it is recorded, in its transaction; the rare transaction rolled
back for a lost lease (another worker took the run over and records the fact again) counts it twice.
Tool labels are the registry's tool names: a name the model made up counts as `unknown`.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter

from libs.common.metrics import REGISTRY
from services.agents.tools import TOOLS

runs_started = Counter("comptoir_agent_runs_started", "agent runs started", registry=REGISTRY)
runs = Counter("comptoir_agent_runs", "agent runs ended, by status (completed, failed, cancelled)",
               ["status"], registry=REGISTRY)
budget_stops = Counter("comptoir_agent_budget_stops", "runs stopped by a budget (steps, tool_calls, duration...)",
                       ["budget"], registry=REGISTRY)
tool_calls = Counter("comptoir_agent_tool_calls", "tool calls ended, by tool and status (succeeded, failed, "
                     "refused)", ["tool", "status"], registry=REGISTRY)
approvals = Counter("comptoir_agent_approvals", "owner approvals, by what happened (requested, granted, "
                    "rejected, expired)", ["decision"], registry=REGISTRY)

_ENDED = {"run_completed": "completed", "run_failed": "failed", "budget_exhausted": "failed",
          "run_cancelled": "cancelled"}
_APPROVALS = {"approval_requested": "requested", "approval_granted": "granted",
              "approval_rejected": "rejected", "approval_expired": "expired"}


def fact_recorded(kind: str, data: dict[str, Any]) -> None:
    if kind == "run_started":
        runs_started.inc()
    elif kind in _ENDED:
        runs.labels(_ENDED[kind]).inc()
        if kind == "budget_exhausted":
            budget_stops.labels(str(data.get("budget") or "unknown")).inc()
    elif kind == "tool_called":
        tool = str(data.get("tool") or "")
        tool_calls.labels(tool if tool in TOOLS else "unknown", str(data.get("status") or "unknown")).inc()
    elif kind in _APPROVALS:
        approvals.labels(_APPROVALS[kind]).inc()
