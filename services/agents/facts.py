"""A run's facts: one `app_agent_events` row and the same fact on the outbox, in the caller's
transaction (the step's, the approval's, the cancellation's)."""

from __future__ import annotations

import uuid
from typing import Any

from libs.common.db import Conn
from libs.common.events import agents as ev
from libs.common.messages import Envelope
from libs.common.outbox import add_event
from services.agents import metrics, repo

SOURCE = "agents"
FACTS: dict[str, type[ev.AgentRunFact]] = {
    "run_started": ev.AgentRunStarted,
    "step_started": ev.AgentStepStarted,
    "step_completed": ev.AgentStepCompleted,
    "tool_called": ev.AgentToolCalled,
    "approval_requested": ev.AgentApprovalRequested,
    "approval_granted": ev.AgentApprovalGranted,
    "approval_rejected": ev.AgentApprovalRejected,
    "approval_expired": ev.AgentApprovalExpired,
    "budget_exhausted": ev.AgentBudgetExhausted,
    "run_completed": ev.AgentRunCompleted,
    "run_failed": ev.AgentRunFailed,
    "run_cancelled": ev.AgentRunCancelled,
}


async def record(conn: Conn, kind: str, run_id: uuid.UUID | str, objective_id: Any, agent: str,
                 data: dict[str, Any]) -> None:
    await conn.execute(repo.INSERT_EVENT, repo.as_uuid(run_id), kind, data)
    fact = FACTS[kind](run_id=str(run_id), objective_id=str(objective_id) if objective_id else None,
                       agent=agent or "", data=data)
    await add_event(conn, fact, source=SOURCE, aggregate_id=str(run_id))
    metrics.fact_recorded(kind, data)


async def advance(conn: Conn, run_id: uuid.UUID | str, seq: int) -> Envelope:
    """The step message for the run's sequence `seq`, published by the relay once the transaction
    commits (the runner also sends the returned envelope itself after its commit: deps.StepPublisher)."""
    return await add_event(conn, ev.AdvanceRun(run_id=str(run_id), seq=seq), source=SOURCE, aggregate_id=str(run_id))
