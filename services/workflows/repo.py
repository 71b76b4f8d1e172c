"""SQL of the workflows service: definitions, runs, step attempts, cron tick claims."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import asyncpg

from libs.common.db import Conn
from libs.common.events.workflows import RunInfo, StepRunInfo, WorkflowDefinition, WorkflowInfo
from services.workflows.steps import Attempt

RUNS_CHANNEL = "comptoir_workflow_runs"
WORKFLOWS_CHANNEL = "comptoir_workflows_changed"

WORKFLOW_COLUMNS = ("id, name, description, trigger_event, trigger_cron, steps, settings, enabled, last_run_at, "
                    "last_run_status, created_at, updated_at, cron_since, seed_key")
SELECT_WORKFLOW = f"SELECT {WORKFLOW_COLUMNS} FROM app_workflows WHERE name = $1"
LIST_WORKFLOWS = (f"SELECT {WORKFLOW_COLUMNS} FROM app_workflows WHERE ($1::boolean IS NULL OR enabled = $1) "
                  "ORDER BY name")
INSERT_WORKFLOW = f"""
INSERT INTO app_workflows (name, description, trigger_event, trigger_cron, steps, settings, enabled, cron_since,
                           seed_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (name) DO NOTHING
RETURNING {WORKFLOW_COLUMNS}"""
UPDATE_WORKFLOW = f"""
UPDATE app_workflows SET name = $2, description = $3, trigger_event = $4, trigger_cron = $5, steps = $6,
       settings = $7, enabled = $8, seed_key = NULL, updated_at = $9,
       cron_since = CASE WHEN trigger_cron IS DISTINCT FROM $5 OR NOT enabled THEN $9 ELSE cron_since END
WHERE name = $1
RETURNING {WORKFLOW_COLUMNS}"""
SET_ENABLED = f"""
UPDATE app_workflows SET enabled = $2, updated_at = $3, seed_key = NULL,
       cron_since = CASE WHEN $2 AND NOT enabled THEN $3 ELSE cron_since END
WHERE name = $1
RETURNING {WORKFLOW_COLUMNS}"""
DELETE_WORKFLOW = "DELETE FROM app_workflows WHERE name = $1"
EVENT_WORKFLOWS = f"SELECT {WORKFLOW_COLUMNS} FROM app_workflows WHERE enabled AND trigger_event = $1"
TRIGGER_EVENTS = "SELECT DISTINCT trigger_event FROM app_workflows WHERE enabled AND trigger_event IS NOT NULL"
CRON_WORKFLOWS = f"""
SELECT {WORKFLOW_COLUMNS}, (SELECT max(tick_at) FROM app_workflow_cron_ticks t WHERE t.workflow_id = w.id) AS last_tick
FROM app_workflows w WHERE enabled AND trigger_cron IS NOT NULL"""

INSERT_RUN = """
INSERT INTO app_workflow_runs (workflow_id, workflow_name, trigger_kind, trigger_ref, definition, input,
                               scheduled_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT (workflow_id, trigger_kind, trigger_ref) DO NOTHING
RETURNING id"""
RUN_COLUMNS = ("id, workflow_id, workflow_name, trigger_kind, trigger_ref, definition, input, status, step_index, "
               "outputs, error, scheduled_at, resume_at, lease_owner, lease_until, created_at, started_at, "
               "first_step_at, finished_at")
SELECT_RUN = f"SELECT {RUN_COLUMNS} FROM app_workflow_runs WHERE id = $1"
LIST_RUNS = f"""
SELECT {RUN_COLUMNS} FROM app_workflow_runs
WHERE ($1::text IS NULL OR workflow_name = $1) AND ($2::text IS NULL OR status = $2)
ORDER BY created_at DESC LIMIT $3"""
STEP_RUNS = """
SELECT step_index, step_type, attempt, status, input, output, provider_id, error, started_at, finished_at, duration_ms
FROM app_workflow_step_runs WHERE run_id = $1 ORDER BY step_index, attempt"""
CLAIM_TICK = """
INSERT INTO app_workflow_cron_ticks (workflow_id, tick_at, claimed_by, claimed_at, missed)
SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::timestamptz[], $5::int[])
ON CONFLICT (workflow_id, tick_at) DO NOTHING
RETURNING workflow_id, tick_at, missed"""
SET_TICK_RUN = "UPDATE app_workflow_cron_ticks SET run_id = $3 WHERE workflow_id = $1 AND tick_at = $2"
FACTS = "SELECT key, value FROM app_company_facts WHERE active IS NOT FALSE"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def workflow_info(row: asyncpg.Record, next_run_at: dt.datetime | None = None) -> WorkflowInfo:
    return WorkflowInfo(id=str(row["id"]), name=row["name"], description=row["description"],
                        trigger_event=row["trigger_event"], trigger_cron=row["trigger_cron"],
                        steps=_json(row["steps"]) or [], settings=_json(row["settings"]) or {},
                        enabled=bool(row["enabled"]), last_run_at=_iso(row["last_run_at"]),
                        last_run_status=row["last_run_status"], next_run_at=_iso(next_run_at),
                        created_at=_iso(row["created_at"]), updated_at=_iso(row["updated_at"]))


def run_info(row: asyncpg.Record, steps: list[asyncpg.Record] | None = None) -> RunInfo:
    return RunInfo(id=str(row["id"]), workflow=row["workflow_name"], trigger_kind=row["trigger_kind"],
                   trigger_ref=row["trigger_ref"], status=row["status"], step_index=row["step_index"],
                   error=row["error"], input=_json(row["input"]) or {}, outputs=_json(row["outputs"]) or {},
                   scheduled_at=_iso(row["scheduled_at"]), created_at=_iso(row["created_at"]),
                   started_at=_iso(row["started_at"]), finished_at=_iso(row["finished_at"]),
                   resume_at=_iso(row["resume_at"]), steps=[step_run_info(s) for s in steps or []])


def step_run_info(row: asyncpg.Record) -> StepRunInfo:
    return StepRunInfo(step_index=row["step_index"], step_type=row["step_type"], attempt=row["attempt"],
                       status=row["status"], input=_json(row["input"]) or {}, output=_json(row["output"]),
                       provider_id=row["provider_id"], error=row["error"], started_at=_iso(row["started_at"]),
                       finished_at=_iso(row["finished_at"]), duration_ms=row["duration_ms"])


def attempt(row: asyncpg.Record) -> Attempt:
    return Attempt(attempt=row["attempt"], status=row["status"], input=_json(row["input"]) or {},
                   output=_json(row["output"]), provider_id=row["provider_id"], error=row["error"])


def definition_values(defn: WorkflowDefinition) -> tuple[Any, ...]:
    return (defn.name, defn.description, defn.trigger_event, defn.trigger_cron,
            [s.model_dump(mode="json", exclude_none=True) for s in defn.steps], defn.settings.model_dump(mode="json"),
            defn.enabled)


async def insert_workflow(conn: Conn, defn: WorkflowDefinition, now: dt.datetime,
                          seed_key: str | None = None) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(INSERT_WORKFLOW, *definition_values(defn), now, seed_key)
    if row is not None:
        await conn.execute(f"NOTIFY {WORKFLOWS_CHANNEL}")
    return row


async def insert_run(conn: Conn, workflow: asyncpg.Record, kind: str, ref: str, run_input: dict[str, Any],
                     scheduled_at: dt.datetime, now: dt.datetime) -> str | None:
    """A run of `workflow` for this trigger, once: None when this trigger already made one."""
    definition = {"steps": _json(workflow["steps"]) or [], "settings": _json(workflow["settings"]) or {}}
    run_id = await conn.fetchval(INSERT_RUN, workflow["id"], workflow["name"], kind, ref, definition, run_input,
                                 scheduled_at, now)
    if run_id is not None:
        await conn.execute(f"NOTIFY {RUNS_CHANNEL}")
    return str(run_id) if run_id is not None else None


async def facts(conn: Conn) -> dict[str, str]:
    return {row["key"]: row["value"] for row in await conn.fetch(FACTS)}


def attempt_replace(old: Attempt, status: str, error: str | None = None) -> Attempt:
    return Attempt(attempt=old.attempt, status=status, input=old.input, output=old.output,
                   provider_id=old.provider_id, error=error or old.error)
