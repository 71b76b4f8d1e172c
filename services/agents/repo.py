"""SQL of the agents tables (019–021, 071): registry, objectives, runs and their lease, steps, tool calls,
approvals, events. Named statements, always parametrised; the agents service is their one writer."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from libs.common.db import Conn

Executor = Conn | asyncpg.Pool

# ---- registry and config ------------------------------------------------------------------------
SELECT_AGENTS = "SELECT name, description, enabled, config FROM app_agent_registry ORDER BY name"
SELECT_AGENT = "SELECT name, description, enabled, config FROM app_agent_registry WHERE name = $1"
SELECT_ASSIGNMENTS = """
SELECT agent_name, tool_name, config FROM app_agent_tool_assignments WHERE enabled IS NOT FALSE
ORDER BY agent_name, tool_name
"""
SELECT_CONFIG = "SELECT key, value FROM app_agent_config"

# ---- objectives ---------------------------------------------------------------------------------
INSERT_OBJECTIVE = """
INSERT INTO app_agent_objectives (agent_name, title, description, status, priority, priority_score, tools_allowed,
                                  budget, risk_level, created_by)
VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9)
RETURNING *
"""
SELECT_OBJECTIVE = "SELECT * FROM app_agent_objectives WHERE id = $1"
LOCK_OBJECTIVE = "SELECT * FROM app_agent_objectives WHERE id = $1 FOR UPDATE"
SET_OBJECTIVE_STATUS = "UPDATE app_agent_objectives SET status = $2, updated_at = NOW() WHERE id = $1"

# ---- runs ----------------------------------------------------------------------------------------
# the caller holds the objective's row lock (LOCK_OBJECTIVE): run numbers do not race
INSERT_RUN = """
INSERT INTO app_agent_runs (objective_id, run_number, status, active_since, metadata)
VALUES ($1, (SELECT COALESCE(MAX(run_number), 0) + 1 FROM app_agent_runs WHERE objective_id = $1), 'running',
        NOW(), $2)
RETURNING id, run_number
"""
RUN_VIEW = """
SELECT r.id, r.objective_id, r.run_number, r.status, r.stop_reason, r.summary, r.steps_count, r.tool_calls_count,
       r.started_at, r.completed_at, r.metadata, r.seq, r.active_ms, r.active_since, r.lease_token, r.lease_expires_at,
       o.agent_name, o.title, o.description, o.tools_allowed, o.budget, o.risk_level
FROM app_agent_runs r JOIN app_agent_objectives o ON o.id = r.objective_id
"""
SELECT_RUN = RUN_VIEW + " WHERE r.id = $1"
LOCK_RUN = RUN_VIEW + " WHERE r.id = $1 FOR UPDATE OF r"
LIST_RUNS = RUN_VIEW + """
WHERE ($1::text IS NULL OR r.status = $1) AND ($2::uuid IS NULL OR r.objective_id = $2)
ORDER BY r.started_at DESC, r.run_number DESC LIMIT $3 OFFSET $4
"""
COUNT_RUNS = """
SELECT count(*) FROM app_agent_runs r
WHERE ($1::text IS NULL OR r.status = $1) AND ($2::uuid IS NULL OR r.objective_id = $2)
"""
# a worker takes the run for the step `seq` when nobody holds it (or the holder's lease lapsed)
CLAIM_RUN = """
UPDATE app_agent_runs SET lease_token = $3, lease_expires_at = NOW() + ($4 * INTERVAL '1 second'), updated_at = NOW()
WHERE id = $1 AND seq = $2 AND status = 'running' AND (lease_token IS NULL OR lease_expires_at < NOW())
RETURNING id
"""
RENEW_LEASE = """
UPDATE app_agent_runs SET lease_expires_at = NOW() + ($3 * INTERVAL '1 second')
WHERE id = $1 AND lease_token = $2 RETURNING id
"""
HOLDS_LEASE = "SELECT status FROM app_agent_runs WHERE id = $1 AND lease_token = $2 FOR UPDATE"
# the step is done: the next step's sequence number, the lease given back
NEXT_STEP = """
UPDATE app_agent_runs SET seq = seq + 1, lease_token = NULL, lease_expires_at = NULL, updated_at = NOW()
WHERE id = $1 AND lease_token = $2 RETURNING seq
"""
RELEASE = "UPDATE app_agent_runs SET lease_token = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_token = $2"
FINISH_RUN = """
UPDATE app_agent_runs SET status = $2, stop_reason = $3, summary = $4, completed_at = NOW(),
  active_ms = active_ms + CASE WHEN active_since IS NULL THEN 0
                               ELSE (EXTRACT(EPOCH FROM NOW() - active_since) * 1000)::bigint END,
  active_since = NULL, updated_at = NOW()
WHERE id = $1 RETURNING id
"""
PAUSE_RUN = """
UPDATE app_agent_runs SET status = 'paused',
  active_ms = active_ms + (EXTRACT(EPOCH FROM NOW() - COALESCE(active_since, NOW())) * 1000)::bigint,
  active_since = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = NOW()
WHERE id = $1
"""
RESUME_RUN = """
UPDATE app_agent_runs SET status = 'running', active_since = NOW(), seq = seq + 1, updated_at = NOW()
WHERE id = $1 AND status = 'paused' RETURNING seq
"""
ADD_STEP = """
UPDATE app_agent_runs SET steps_count = steps_count + 1, metadata = $3, updated_at = NOW()
WHERE id = $1 AND lease_token = $2 RETURNING steps_count
"""
ADD_TOOL_CALL = "UPDATE app_agent_runs SET tool_calls_count = tool_calls_count + 1 WHERE id = $1"
# one more tool call if the budget allows it (None: it does not)
COUNT_TOOL_CALL = """
UPDATE app_agent_runs SET tool_calls_count = tool_calls_count + 1 WHERE id = $1 AND tool_calls_count < $2
RETURNING tool_calls_count
"""
COUNT_STEP_ERROR = """
UPDATE app_agent_runs SET metadata = jsonb_set(COALESCE(metadata, '{}'::jsonb), '{step_errors}',
  to_jsonb(COALESCE((metadata->>'step_errors')::int, 0) + 1))
WHERE id = $1 AND lease_token = $2 RETURNING (metadata->>'step_errors')::int
"""
SET_METADATA = "UPDATE app_agent_runs SET metadata = $2 WHERE id = $1"
# runs a worker should take up: running, and its lease lapsed (the worker died) or nobody moved it for a while
STALLED_RUNS = """
SELECT id, seq FROM app_agent_runs
WHERE status = 'running' AND ((lease_token IS NOT NULL AND lease_expires_at < NOW())
                              OR (lease_token IS NULL AND updated_at < NOW() - ($1 * INTERVAL '1 second')))
ORDER BY updated_at LIMIT 100
"""
TOUCH_RUN = "UPDATE app_agent_runs SET updated_at = NOW() WHERE id = $1 AND seq = $2"

# ---- steps and tool calls ------------------------------------------------------------------------
INSERT_STEP = """
INSERT INTO app_agent_run_steps (run_id, step_number, thought, tool, args, result, status, risk_level)
VALUES ($1, $2, $3, $4, $5, '{}', $6, $7) RETURNING id
"""
OPEN_STEP = """
SELECT id, step_number, created_at FROM app_agent_run_steps WHERE run_id = $1 AND status = 'executing'
ORDER BY step_number DESC LIMIT 1
"""
FINISH_STEP = """
UPDATE app_agent_run_steps SET status = $2, result = $3,
  duration_ms = (EXTRACT(EPOCH FROM NOW() - created_at) * 1000)::int WHERE id = $1
"""
SELECT_STEPS = "SELECT * FROM app_agent_run_steps WHERE run_id = $1 ORDER BY step_number"
INSERT_TOOL_CALL = """
INSERT INTO app_agent_tool_calls (step_id, run_id, tool_name, args, raw_arguments, llm_call_id, position, status,
                                  error, risk_level, success, result)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8 <> 'failed', $11) RETURNING id
"""
STEP_TOOL_CALLS = "SELECT * FROM app_agent_tool_calls WHERE step_id = $1 ORDER BY position"
RUN_TOOL_CALLS = "SELECT * FROM app_agent_tool_calls WHERE run_id = $1 ORDER BY created_at, position"
START_TOOL_CALL = """
UPDATE app_agent_tool_calls SET status = 'executing', started_at = NOW()
WHERE id = $1 AND status IN ('pending', 'approved')
RETURNING id
"""
FINISH_TOOL_CALL = """
UPDATE app_agent_tool_calls SET status = $2, result = $3, error = $4, success = ($2 = 'succeeded'),
  finished_at = NOW(), duration_ms = (EXTRACT(EPOCH FROM NOW() - COALESCE(started_at, NOW())) * 1000)::int
WHERE id = $1
"""
SET_TOOL_CALL = "UPDATE app_agent_tool_calls SET status = $2, args = COALESCE($3, args), error = $4 WHERE id = $1"

# ---- approvals ----------------------------------------------------------------------------------
INSERT_APPROVAL = """
INSERT INTO app_agent_approvals (run_id, step_id, tool_call_id, status, tool_name, args, risk_level, risk_reason,
                                 expires_at)
VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, NOW() + ($8 * INTERVAL '1 hour')) RETURNING id
"""
APPROVAL_VIEW = """
SELECT a.*, o.agent_name, o.title AS objective_title FROM app_agent_approvals a
JOIN app_agent_runs r ON r.id = a.run_id JOIN app_agent_objectives o ON o.id = r.objective_id
"""
SELECT_APPROVAL = APPROVAL_VIEW + " WHERE a.id = $1"
LOCK_APPROVAL = APPROVAL_VIEW + " WHERE a.id = $1 FOR UPDATE OF a"
LIST_APPROVALS = APPROVAL_VIEW + """
WHERE ($1::text IS NULL OR a.status = $1) ORDER BY a.created_at DESC LIMIT $2 OFFSET $3"""
COUNT_APPROVALS = "SELECT count(*) FROM app_agent_approvals WHERE ($1::text IS NULL OR status = $1)"
RUN_APPROVALS = APPROVAL_VIEW + " WHERE a.run_id = $1 ORDER BY a.created_at"
DECIDE_APPROVAL = """
UPDATE app_agent_approvals SET status = $2, args = COALESCE($3, args), approved_by = $4, decision_reason = $5,
  approved_at = NOW() WHERE id = $1 AND status = 'pending' RETURNING id
"""
DUE_APPROVALS = """
SELECT id FROM app_agent_approvals WHERE status = 'pending' AND expires_at < NOW() ORDER BY expires_at LIMIT 100
FOR UPDATE SKIP LOCKED
"""
CLOSE_RUN_APPROVALS = """
UPDATE app_agent_approvals SET status = $2, decision_reason = $3, approved_at = NOW()
WHERE run_id = $1 AND status = 'pending' RETURNING id, tool_call_id
"""

# ---- events -------------------------------------------------------------------------------------
# clock_timestamp(): the facts of one transaction keep their order (NOW() is the same for all of them)
INSERT_EVENT = """
INSERT INTO app_agent_events (run_id, event_type, data, created_at) VALUES ($1, $2, $3, clock_timestamp())
"""
RUN_EVENTS = "SELECT id, event_type, data, created_at FROM app_agent_events WHERE run_id = $1 ORDER BY created_at, id"


def as_uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    """The id, or None when it is not a UUID (an unknown id is then simply not found)."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def config(conn: Executor) -> dict[str, Any]:
    return {r["key"]: r["value"] for r in await conn.fetch(SELECT_CONFIG)}


async def assignments(conn: Executor) -> dict[str, dict[str, dict[str, Any]]]:
    """agent name → tool name → the assignment's config."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for r in await conn.fetch(SELECT_ASSIGNMENTS):
        found.setdefault(r["agent_name"], {})[r["tool_name"]] = r["config"] or {}
    return found


async def one(conn: Executor, query: str, *args: Any) -> asyncpg.Record:
    """A row that must exist (one this transaction wrote or holds locked)."""
    row = await conn.fetchrow(query, *args)
    if row is None:
        raise LookupError(f"expected a row: {query.split(chr(10))[1][:80] if chr(10) in query else query[:80]}")
    return row
