"""The executor against real Postgres and a real SMTP server: steps, retries, failures, delays."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import asyncpg

from libs.common import metrics
from libs.common.settings import Settings
from tests.fakes.smtp_server import FakeSmtpServer
from tests.workflows.conftest import WfFactory, add_workflow, attempts, executor, run_row, settle, start_run

MAIL_STEP = {"type": "send_email", "id": "mail", "retry": {"max": 3, "base_delay_ms": 10},
             "config": {"to": "{{ event.email }}", "subject": "Bonjour {{ event.name }}",
                        "body": "Commande {{ event.order }}",
                        "translations": {"en": {"subject": "Hello {{ event.name }}",
                                                "body": "Order {{ event.order }}"}}}}


def _count(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def _outbox_types(pool: asyncpg.Pool, run_id: str) -> list[str]:
    rows = await pool.fetch("SELECT type FROM app_outbox WHERE aggregate_id = $1 ORDER BY seq", run_id)
    return [r["type"] for r in rows]


async def test_a_run_sends_the_templated_mail_and_records_the_queue_id(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, smtp: FakeSmtpServer) -> None:
    wf = make_wf(mail=smtp.settings())
    workflow = await add_workflow(wf_pool, wf, steps=[MAIL_STEP])
    run_id = await start_run(wf_pool, wf, workflow, {"email": "ana@exemple.fr", "name": "Ana", "order": "A-12"})
    async with executor(wf, wf_settings) as ex:
        await settle(ex)
    run = await run_row(wf_pool, run_id)
    assert run["status"] == "completed", run["error"]
    (step,) = await attempts(wf_pool, run_id)
    assert step["status"] == "succeeded" and step["provider_id"] == smtp.envelopes[0][2]
    assert smtp.messages[0]["Subject"] == "Bonjour Ana" and smtp.envelopes[0][1] == ["ana@exemple.fr"]
    assert smtp.messages[0]["Message-ID"] == step["input"]["prepared"]["message_id"]
    assert await _outbox_types(wf_pool, run_id) == ["workflow.run.started", "workflow.run.completed"]
    latest: Any = await wf_pool.fetchrow("SELECT last_run_status, last_run_at FROM app_workflows WHERE id = $1",
                                    workflow["id"])
    assert latest["last_run_status"] == "completed" and latest["last_run_at"] is not None


async def test_english_text_when_the_event_is_in_english(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, smtp: FakeSmtpServer) -> None:
    wf = make_wf(mail=smtp.settings())
    workflow = await add_workflow(wf_pool, wf, steps=[MAIL_STEP])
    await start_run(wf_pool, wf, workflow, {"email": "bo@example.com", "name": "Bo", "order": "7", "locale": "en"})
    async with executor(wf, wf_settings) as ex:
        await settle(ex)
    assert smtp.messages[0]["Subject"] == "Hello Bo"
    assert smtp.messages[0].get_content().strip() == "Order 7"


async def test_transient_refusals_are_retried_with_backoff_then_succeed(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, smtp: FakeSmtpServer) -> None:
    wf = make_wf(mail=smtp.settings())
    smtp.fail_next(451, "4.3.0 busy", times=2)
    workflow = await add_workflow(wf_pool, wf, steps=[MAIL_STEP])
    run_id = await start_run(wf_pool, wf, workflow, {"email": "a@b.fr"})
    trigger = (await run_row(wf_pool, run_id))["trigger_kind"]
    before = {outcome: _count("comptoir_workflow_steps_total", type="send_email", outcome=outcome)
              for outcome in ("failed", "succeeded")}
    timed = _count("comptoir_workflow_step_seconds_count", type="send_email")
    completed = _count("comptoir_workflow_runs_total", trigger=trigger, status="completed")
    async with executor(wf, wf_settings) as ex:
        for _ in range(40):
            await settle(ex)
            if (await run_row(wf_pool, run_id))["status"] != "running":
                break
            await asyncio.sleep(0.02)
    rows = await attempts(wf_pool, run_id)
    assert [r["status"] for r in rows] == ["failed", "failed", "succeeded"]
    assert "451" in rows[0]["error"]
    assert len(smtp.messages) == 1
    assert (await run_row(wf_pool, run_id))["status"] == "completed"
    # the service's series (services/workflows/metrics.py): each attempt, and the run once it ended
    assert _count("comptoir_workflow_steps_total", type="send_email", outcome="failed") == before["failed"] + 2
    assert _count("comptoir_workflow_steps_total", type="send_email", outcome="succeeded") == before["succeeded"] + 1
    assert _count("comptoir_workflow_step_seconds_count", type="send_email") == timed + 3
    assert _count("comptoir_workflow_runs_total", trigger=trigger, status="completed") == completed + 1


async def test_a_permanent_refusal_fails_the_run_with_its_reason(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, smtp: FakeSmtpServer) -> None:
    wf = make_wf(mail=smtp.settings())
    smtp.fail_next(554, "5.7.1 rejected")
    workflow = await add_workflow(wf_pool, wf, steps=[MAIL_STEP])
    run_id = await start_run(wf_pool, wf, workflow, {"email": "a@b.fr"})
    trigger = (await run_row(wf_pool, run_id))["trigger_kind"]
    failed = _count("comptoir_workflow_runs_total", trigger=trigger, status="failed")
    async with executor(wf, wf_settings) as ex:
        await settle(ex)
    run = await run_row(wf_pool, run_id)
    assert run["status"] == "failed" and "554" in run["error"] and "1 attempt" in run["error"]
    assert _count("comptoir_workflow_runs_total", trigger=trigger, status="failed") == failed + 1
    assert await _outbox_types(wf_pool, run_id) == ["workflow.run.started", "workflow.run.failed"]


async def test_without_smtp_the_step_fails_saying_what_is_missing(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    wf = make_wf()
    workflow = await add_workflow(wf_pool, wf, steps=[MAIL_STEP])
    run_id = await start_run(wf_pool, wf, workflow, {"email": "a@b.fr"})
    async with executor(wf, wf_settings) as ex:
        await settle(ex)
    run = await run_row(wf_pool, run_id)
    assert run["status"] == "failed" and "SMTP_HOST" in run["error"]


async def test_a_false_condition_stops_the_run_before_later_steps(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, smtp: FakeSmtpServer) -> None:
    wf = make_wf(mail=smtp.settings())
    condition = {"type": "condition", "config": {"all": [{"path": "event.total", "op": "gt", "value": 100}]}}
    workflow = await add_workflow(wf_pool, wf, steps=[condition, MAIL_STEP])
    small = await start_run(wf_pool, wf, workflow, {"email": "a@b.fr", "total": 50})
    large = await start_run(wf_pool, wf, workflow, {"email": "a@b.fr", "total": "150"})
    async with executor(wf, wf_settings) as ex:
        await settle(ex)
    assert (await run_row(wf_pool, small))["status"] == "completed"
    assert [r["step_type"] for r in await attempts(wf_pool, small)] == ["condition"]
    assert [r["step_type"] for r in await attempts(wf_pool, large)] == ["condition", "send_email"]
    assert len(smtp.messages) == 1


async def test_a_delay_holds_no_worker_and_survives_a_restart(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    wf = make_wf()
    steps: list[dict[str, Any]] = [{"type": "delay", "config": {"seconds": 0.6}},
                                   {"type": "log", "config": {"message": "after {{ event.x }}"}}]
    workflow = await add_workflow(wf_pool, wf, steps=steps)
    run_id = await start_run(wf_pool, wf, workflow, {"x": "the wait"})
    async with executor(wf, wf_settings) as ex:
        await settle(ex)
        assert not ex.active  # waiting holds no task
    run = await run_row(wf_pool, run_id)
    assert run["status"] == "waiting" and run["lease_owner"] is None and run["resume_at"] is not None
    await asyncio.sleep(0.7)
    other = make_wf()  # a new process: nothing of the first executor remains
    async with executor(other, wf_settings) as ex:
        await settle(ex)
    run = await run_row(wf_pool, run_id)
    assert run["status"] == "completed"
    assert run["outputs"]["1"]["message"] == "after the wait"


async def test_concurrency_caps_parallel_runs_of_one_workflow(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    wf = make_wf()
    workflow = await add_workflow(wf_pool, wf, steps=[{"type": "delay", "config": {"seconds": 0.2}}],
                                  settings={"concurrency": 2})
    runs = [await start_run(wf_pool, wf, workflow) for _ in range(5)]
    async with executor(wf, wf_settings) as ex:
        await ex.pump()
        await ex.drain()
        statuses = [(await run_row(wf_pool, r))["status"] for r in runs]
    assert statuses.count("waiting") == 2 and statuses.count("queued") == 3


async def test_concurrency_holds_across_two_replicas_claiming_at_once(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    a, b = make_wf(replica="replica-a"), make_wf(replica="replica-b")
    workflow = await add_workflow(wf_pool, a, steps=[{"type": "log", "config": {"message": "x"}}],
                                  settings={"concurrency": 3})
    runs = [await start_run(wf_pool, a, workflow) for _ in range(10)]
    release = asyncio.Event()

    async def hold(where: str, call: Any) -> None:  # every started run stays in its step until released
        await release.wait()
    async with executor(a, wf_settings, hold) as ex_a, executor(b, wf_settings, hold) as ex_b:
        await asyncio.gather(*(ex.pump() for ex in (ex_a, ex_b, ex_a, ex_b)))
        await asyncio.gather(ex_a.pump(), ex_b.pump())
        running = await wf_pool.fetch("SELECT lease_owner FROM app_workflow_runs WHERE workflow_id = $1 "
                                      "AND status = 'running'", workflow["id"])
        assert len(running) == 3, running
        release.set()
        await asyncio.gather(ex_a.drain(), ex_b.drain())
        for _ in range(10):
            await asyncio.gather(settle(ex_a), settle(ex_b))
    assert {(await run_row(wf_pool, r))["status"] for r in runs} == {"completed"}


async def test_a_backlog_held_back_by_its_concurrency_does_not_hide_other_workflows(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    wf = make_wf(max_parallel_runs=2)
    busy = await add_workflow(wf_pool, wf, steps=[{"type": "log", "config": {"message": "busy"}}],
                              settings={"concurrency": 1})
    held = await start_run(wf_pool, wf, busy)  # driven by another replica for the next hour
    await wf_pool.execute("UPDATE app_workflow_runs SET status = 'running', lease_owner = 'elsewhere', "
                          "lease_until = now() + interval '1 hour' WHERE id = $1", held)
    for _ in range(12):
        await start_run(wf_pool, wf, busy)
    other = await add_workflow(wf_pool, wf, steps=[{"type": "log", "config": {"message": "me too"}}])
    mine = await start_run(wf_pool, wf, other)
    async with executor(wf, wf_settings) as ex:
        await settle(ex)
    assert (await run_row(wf_pool, mine))["status"] == "completed"
    await wf_pool.execute("UPDATE app_workflow_runs SET status = 'failed', error = 'test over' "
                          "WHERE workflow_id = $1 AND status IN ('queued', 'running')", busy["id"])


async def test_rate_limit_spaces_run_starts(make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    wf = make_wf()
    workflow = await add_workflow(wf_pool, wf, steps=[{"type": "log", "config": {"message": "tick"}}],
                                  settings={"concurrency": 10, "rate_limit_ms": 150})
    runs = [await start_run(wf_pool, wf, workflow) for _ in range(3)]
    async with executor(wf, wf_settings) as ex:
        for _ in range(30):
            await settle(ex)
            if [(await run_row(wf_pool, r))["status"] for r in runs] == ["completed"] * 3:
                break
            await asyncio.sleep(0.05)
    started = sorted([(await run_row(wf_pool, r))["started_at"] for r in runs])
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(started)]
    assert all(g >= 0.15 for g in gaps), gaps


async def test_a_step_timeout_is_an_unknown_outcome_and_mail_is_resent_with_the_same_message_id(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, smtp: FakeSmtpServer) -> None:
    wf = make_wf(mail=smtp.settings())
    smtp.hold_s = 1.2
    step = MAIL_STEP | {"timeout_ms": 500, "retry": {"max": 1, "base_delay_ms": 10}}
    workflow = await add_workflow(wf_pool, wf, steps=[step])
    run_id = await start_run(wf_pool, wf, workflow, {"email": "a@b.fr"})
    async with executor(wf, wf_settings) as ex:
        await settle(ex)
        smtp.hold_s = 0.0
        for _ in range(40):
            await settle(ex)
            if (await run_row(wf_pool, run_id))["status"] != "running":
                break
            await asyncio.sleep(0.02)
    rows = await attempts(wf_pool, run_id)
    assert [r["status"] for r in rows] == ["unknown", "succeeded"]
    assert "timed out" in rows[0]["error"]
    await asyncio.sleep(1.0)  # the first DATA, held by the server, is accepted after our timeout
    ids = {m["Message-ID"] for m in smtp.messages}
    assert len(smtp.messages) == 2 and len(ids) == 1  # SMTP's window: the same message, twice
