"""Scheduled maintenance over real RabbitMQ and Postgres: each service prunes its own rows only.

The services here are `ServiceApp`s with the production maintenance registration
(`services/<svc>/maintenance.py`'s `register` and the platform jobs every ServiceApp gets) and, for
security, its real admin-log sink, so the counts are followed into app_admin_logs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from libs.common.maintenance import MaintenanceReport, jobs_of, prune_request, request_type
from libs.common.rpc import RpcClient
from libs.common.service import ServiceApp
from libs.common.settings import Settings
from services.agents import maintenance as agents_maintenance
from services.billing import maintenance as billing_maintenance
from services.chat import maintenance as chat_maintenance
from services.gateway import maintenance as gateway_maintenance
from services.security import handlers as security_handlers
from services.security import maintenance as security_maintenance
from services.workflows import maintenance, maintenance_cli
from services.workflows.steps.base import StepRegistry
from tests.conftest import eventually, with_fresh_prefix

DAYS = "NOW() - ($1 * INTERVAL '1 day')"


def apps() -> dict[str, ServiceApp[Any]]:
    chat: ServiceApp[None] = ServiceApp("chat")
    chat_maintenance.register(chat)

    async def noop(event: Any, ctx: Any, deps: Any) -> None:
        return None
    chat.on_event("payment.completed", queue="chat.purchases")(noop)  # its inbox consumer
    agents: ServiceApp[None] = ServiceApp("agents")
    agents_maintenance.register(agents)
    billing: ServiceApp[None] = ServiceApp("billing")
    billing_maintenance.register(billing)
    security: ServiceApp[None] = ServiceApp("security")
    security_maintenance.register(security)
    security.on_event("admin.log.recorded", queue="security.admin_log")(security_handlers.write_admin_log)
    workflows: ServiceApp[None] = ServiceApp("workflows")
    maintenance.register(workflows, StepRegistry())
    return {"chat": chat, "agents": agents, "billing": billing, "security": security, "workflows": workflows}


@pytest.fixture(scope="module")
async def platform(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[tuple[Settings, RpcClient]]:
    svc_settings = with_fresh_prefix(settings)
    async with contextlib.AsyncExitStack() as stack:
        for svc in apps().values():
            await stack.enter_async_context(svc.running(svc_settings, pool))
        await stack.enter_async_context(gateway_maintenance.serving(svc_settings, pool))
        rpc = await stack.enter_async_context(RpcClient(svc_settings, source="test"))
        yield svc_settings, rpc


async def seed(pool: asyncpg.Pool, tag: str) -> None:
    """Rows on both sides of each retention, tagged so this test counts its own only."""
    async with pool.acquire() as conn, conn.transaction():
        for name, age in (("old", 20), ("young", 5)):
            await conn.execute(f"INSERT INTO app_chat_sessions (session_id, updated_at) VALUES ($2, {DAYS})",
                               age, f"{tag}-{name}")
            await conn.execute("INSERT INTO app_agent_events (event_type, data, created_at) VALUES ($2, '{}', "
                               "NOW() - ($1 * INTERVAL '1 day') * 2)", age, f"{tag}-{name}")
            await conn.execute(f"INSERT INTO app_rate_limits (key, window_start) VALUES ($2, {DAYS})",
                               age / 10, f"{tag}-{name}")
            for consumer in ("chat.purchases", "billing.other"):
                await conn.execute(f"INSERT INTO app_inbox (consumer, message_id, message_type, processed_at) "
                                   f"VALUES ($2, $3, $4, {DAYS})", age, consumer, uuid.uuid4(), f"{tag}-{name}")
            for service in ("chat", "rag"):
                await conn.execute(
                    "INSERT INTO app_request_log (service, request_id, request_type, status, token, lease_until, "
                    f"created_at) VALUES ($2, $3, $4, 'done', $3, NOW(), {DAYS})", age, service, uuid.uuid4(),
                    f"{tag}-{name}")
        await conn.execute("INSERT INTO app_product_cache (cache_key, data, expires_at) VALUES "
                           "($1, '{}', NOW() - INTERVAL '1 minute'), ($2, '{}', NOW() + INTERVAL '1 hour')",
                           f"{tag}-old", f"{tag}-young")
        for name, age in (("old", 3), ("young", 1)):
            await conn.execute(
                "INSERT INTO app_idempotency_keys (scope, key, fingerprint, request_id, status, token, lease_until, "
                f"created_at) VALUES ('test', $2, 'f', $3, 'done', $3, NOW(), {DAYS})", age, f"{tag}-{name}",
                uuid.uuid4())
        # a blocked key whose window is old stays: it still blocks someone
        await conn.execute("INSERT INTO app_rate_limits (key, window_start, blocked_until) VALUES "
                           "($1, NOW() - INTERVAL '3 days', NOW() + INTERVAL '1 hour')", f"{tag}-blocked")


async def left(pool: asyncpg.Pool, tag: str) -> dict[str, list[str]]:
    like = f"{tag}-%"
    queries = {
        "sessions": "SELECT session_id FROM app_chat_sessions WHERE session_id LIKE $1",
        "events": "SELECT event_type FROM app_agent_events WHERE event_type LIKE $1",
        "rate_limits": "SELECT key FROM app_rate_limits WHERE key LIKE $1",
        "cache": "SELECT cache_key FROM app_product_cache WHERE cache_key LIKE $1",
        "inbox": "SELECT consumer || ':' || message_type FROM app_inbox WHERE message_type LIKE $1",
        "request_log": "SELECT service || ':' || request_type FROM app_request_log WHERE request_type LIKE $1",
        "idempotency_keys": "SELECT key FROM app_idempotency_keys WHERE key LIKE $1",
    }
    return {name: sorted(r[0] for r in await pool.fetch(sql, like)) for name, sql in queries.items()}


async def test_each_service_prunes_only_its_own_expired_rows(platform: tuple[Settings, RpcClient],
                                                             pool: asyncpg.Pool) -> None:
    _, rpc = platform
    tag = f"m{uuid.uuid4().hex[:8]}"
    await seed(pool, tag)
    old_config = await pool.fetchval("SELECT value FROM app_admin_config WHERE key = 'chat_config'")
    await pool.execute("UPDATE app_admin_config SET value = value || '{\"sessionTtlDays\": 10}'::jsonb "
                       "WHERE key = 'chat_config'")
    try:
        reports = await maintenance.run_all(rpc, pool, ("chat", "agents", "billing", "security", "gateway"),
                                            trigger="test")
    finally:
        await pool.execute("UPDATE app_admin_config SET value = $1 WHERE key = 'chat_config'", old_config)
    by_service = {r.service: r for r in reports}
    assert all(not r.errors for r in reports), [r.errors for r in reports]
    assert by_service["chat"].counts["chat_sessions"] >= 1
    assert by_service["chat"].counts["inbox"] >= 1 and by_service["chat"].counts["request_log"] >= 1
    assert by_service["agents"].counts["agent_events"] >= 1  # 40 days old, retention 30
    assert by_service["billing"].counts["product_cache"] >= 1
    assert by_service["security"].counts["rate_limits"] >= 1
    assert by_service["gateway"].counts["idempotency_keys"] >= 1
    assert await left(pool, tag) == {
        "sessions": [f"{tag}-young"],  # 20 days > sessionTtlDays 10 > 5 days
        "events": [f"{tag}-young"],
        "rate_limits": [f"{tag}-blocked", f"{tag}-young"],  # 2 days old window, blocked one kept
        "cache": [f"{tag}-young"],
        # billing's rows are billing's: only chat's old inbox and request-log rows went
        "inbox": sorted([f"billing.other:{tag}-old", f"billing.other:{tag}-young", f"chat.purchases:{tag}-young"]),
        "request_log": sorted([f"chat:{tag}-young", f"rag:{tag}-old", f"rag:{tag}-young"]),
        "idempotency_keys": [f"{tag}-young"],  # kept 2 days
    }

    async def logged() -> list[asyncpg.Record] | None:
        rows = await pool.fetch("SELECT level, message, metadata FROM app_admin_logs WHERE category = 'maintenance' "
                                "AND metadata->>'trigger' = 'test' AND created_at > NOW() - INTERVAL '1 minute'")
        return rows if {r["metadata"]["target"] for r in rows} >= {"chat", "agents", "billing", "security"} else None
    rows = await eventually(logged)
    chat_row = next(r for r in rows if r["metadata"]["target"] == "chat")
    assert chat_row["level"] == "info" and "chat_sessions=" in chat_row["message"]
    assert chat_row["metadata"]["counts"]["chat_sessions"] >= 1


async def test_a_job_override_an_unknown_job_and_an_absent_service_are_reported(
        platform: tuple[Settings, RpcClient]) -> None:
    _, rpc = platform
    report = await rpc.request(request_type("chat"), prune_request("chat", jobs=["inbox", "nope"]),
                               MaintenanceReport)
    assert set(report.counts) == {"inbox"} and report.errors == {"nope": "no such maintenance job"}
    absent = await maintenance.prune(rpc, maintenance.MaintenanceConfig(service="rag", timeout_s=2))
    assert absent.errors and not absent.counts  # no rag service runs in this test


async def test_the_maintenance_step_and_the_cli(platform: tuple[Settings, RpcClient], pool: asyncpg.Pool,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    svc_settings, _ = platform
    monkeypatch.setattr(maintenance_cli, "get_settings", lambda: svc_settings)
    code = await maintenance_cli.run_command(argparse.Namespace(services=["billing", "security"], json=True))
    assert code == 0
    # (structlog prints to stdout under pytest; the command's own lines are the JSON ones)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [r["service"] for r in lines] == ["billing", "security"]
    assert set(lines[0]["counts"]) == {"inbox", "request_log", "product_cache"}
    code = await maintenance_cli.run_command(argparse.Namespace(services=["billing", "rag"], json=False))
    out = capsys.readouterr().out
    assert code == 1 and "maintenance billing: inbox=" in out and "maintenance rag:" in out and "errors" in out


def test_every_service_registers_its_prune_request_and_jobs() -> None:
    import services.agents.app
    import services.billing.app
    import services.chat.app
    import services.security.app
    import services.workflows.app

    apps = (services.agents.app.svc, services.billing.app.svc, services.chat.app.svc, services.security.app.svc,
            services.workflows.app.svc,
            gateway_maintenance.svc)
    for svc in apps:
        assert request_type(svc.name) in {r.request_type for r in svc.requests}
    assert {"inbox", "request_log", "product_cache"} <= set(jobs_of(services.billing.app.svc))
    assert {"inbox", "request_log", "chat_sessions"} <= set(jobs_of(services.chat.app.svc))
    assert {"inbox", "request_log", "agent_events"} <= set(jobs_of(services.agents.app.svc))
    assert {"inbox", "request_log", "rate_limits"} <= set(jobs_of(services.security.app.svc))
    assert set(jobs_of(gateway_maintenance.svc)) >= {"idempotency_keys"}
    assert {"maintenance", "publish_facebook", "publish_instagram"} <= set(services.workflows.app.STEPS.names())


async def test_the_seeded_workflows_are_valid_definitions(pool: asyncpg.Pool) -> None:
    """Migration 080's rows pass the same checks as a workflow saved through the API."""
    import services.workflows.app
    from libs.common.events.workflows import WorkflowDefinition
    from services.workflows.validate import check_trigger

    rows = await pool.fetch("SELECT name, description, trigger_cron, steps, settings, enabled FROM app_workflows "
                            "WHERE seed_key LIKE 'maintenance_%' OR seed_key = 'weekly_social_post'")
    names = {r["name"]: r for r in rows}
    assert set(names) == {*(f"maintenance-{s}" for s in maintenance.SERVICES), "weekly-social-post"}
    assert not names["weekly-social-post"]["enabled"] and names["maintenance-chat"]["enabled"]
    registry = services.workflows.app.STEPS
    for row in rows:
        definition = WorkflowDefinition.model_validate({k: row[k] for k in (
            "name", "description", "trigger_cron", "steps", "settings", "enabled")})
        check_trigger(definition)  # a valid 5-field cron
        for step in definition.steps:
            step_type = registry.get(step.type)
            assert step_type is not None, (row["name"], step.type)
            step_type.config_model.model_validate(step.config)


async def test_the_workflows_service_prunes_its_finished_runs(platform: tuple[Settings, RpcClient],
                                                              pool: asyncpg.Pool) -> None:
    _, rpc = platform
    name = f"prune-{uuid.uuid4().hex[:8]}"
    workflow_id = await pool.fetchval("INSERT INTO app_workflows (name, steps) VALUES ($1, '[]') RETURNING id", name)
    for ref, status, age in (("old-done", "completed", 40), ("old-failed", "failed", 40),
                             ("young-done", "completed", 5), ("old-running", "running", 40)):
        await pool.execute(
            "INSERT INTO app_workflow_runs (workflow_id, workflow_name, trigger_kind, trigger_ref, status, "
            f"finished_at) VALUES ($2, $3, 'manual', $4, $5, CASE WHEN $5 = 'running' THEN NULL ELSE {DAYS} END)",
            age, workflow_id, name, ref, status)
    report = await rpc.request(request_type("workflows"), prune_request("workflows", jobs=["workflow_runs"]),
                               MaintenanceReport)
    assert report.counts["workflow_runs"] >= 2 and not report.errors
    left = {r["trigger_ref"] for r in await pool.fetch(
        "SELECT trigger_ref FROM app_workflow_runs WHERE workflow_id = $1", workflow_id)}
    assert left == {"young-done", "old-running"}  # 30 days kept; a run still going is never pruned
