"""A worker dies at fixed points of a step with a side effect; another replica takes the run over.

The dead worker's attempt is still `running` (in flight) when its lease runs out. What the next
owner does depends on the step's effect: SMTP is sent again with the same Message-ID (a crash
after the server's acceptance is the one window for a duplicate), WhatsApp is never repeated, Drive
is looked up by the step's key before any second upload.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from typing import Any

import asyncpg
import pytest

from libs.common.settings import Settings
from libs.storage.postgres import PostgresStorage
from services.workflows.clock import ManualClock
from services.workflows.steps import StepCall
from tests.fakes.drive_server import FakeDriveServer
from tests.fakes.smtp_server import FakeSmtpServer
from tests.fakes.whatsapp_server import FakeWhatsAppServer
from tests.workflows.conftest import WfFactory, add_workflow, attempts, executor, run_row, settle, start_run


class WorkerCrash(BaseException):
    """Stands for the process dying: nothing in the engine catches it, nothing is cleaned up."""


def crash_at(point: str) -> Any:
    async def fault(where: str, call: StepCall) -> None:
        if where == point and call.attempt == 1:
            raise WorkerCrash(where)
    return fault


async def _crash_then_recover(make_wf: WfFactory, pool: asyncpg.Pool, settings: Settings, point: str,
                              steps: list[dict[str, Any]], **wf_kwargs: Any) -> str:
    clock = ManualClock(dt.datetime.now(dt.UTC))
    first = make_wf(replica="worker-a", clock=clock, **wf_kwargs)
    workflow = await add_workflow(pool, first, steps=steps)
    run_id = await start_run(pool, first, workflow, {"to": "owner@boutique.fr"})
    async with executor(first, settings, fault=crash_at(point)) as ex:
        await ex.pump()
        await ex.drain()
    (in_flight,) = await attempts(pool, run_id)
    assert in_flight["status"] == "running" and in_flight["finished_at"] is None  # the step was in flight
    assert (await run_row(pool, run_id))["lease_owner"] == "worker-a"
    second = make_wf(replica="worker-b", clock=clock, **wf_kwargs)
    async with executor(second, settings) as ex:
        await settle(ex)
        assert (await run_row(pool, run_id))["status"] == "running"  # the lease has not run out yet
        clock.advance(seconds=5)
        await settle(ex)
    return run_id


@pytest.mark.parametrize(("point", "sent"), [("before_effect", 1), ("after_effect", 2)])
async def test_mail_is_resent_with_its_message_id_after_a_crash(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, smtp: FakeSmtpServer,
        point: str, sent: int) -> None:
    step = {"type": "send_email", "config": {"to": "{{ event.to }}", "subject": "Alerte", "body": "Texte"}}
    run_id = await _crash_then_recover(make_wf, wf_pool, wf_settings, point, [step], mail=smtp.settings())
    assert (await run_row(wf_pool, run_id))["status"] == "completed"
    assert [a["status"] for a in await attempts(wf_pool, run_id)] == ["unknown", "succeeded"]
    assert len(smtp.messages) == sent
    assert len({m["Message-ID"] for m in smtp.messages}) == 1


@pytest.mark.parametrize(("point", "sent"), [("before_effect", 0), ("after_effect", 1)])
async def test_whatsapp_is_never_repeated_after_an_unknown_outcome(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, point: str, sent: int) -> None:
    async with FakeWhatsAppServer() as wa:
        step = {"type": "send_whatsapp", "config": {"to": "33612345678", "text": "Bonjour"}}
        run_id = await _crash_then_recover(make_wf, wf_pool, wf_settings, point, [step],
                                           whatsapp_base_url=wa.base_url,
                                           whatsapp_phone_number_id=wa.phone_number_id)
    run = await run_row(wf_pool, run_id)
    assert run["status"] == "failed" and "not repeated" in run["error"]
    assert [a["status"] for a in await attempts(wf_pool, run_id)] == ["unknown"]
    assert len(wa.messages) == sent


@pytest.mark.parametrize("point", ["before_effect", "after_effect"])
async def test_drive_is_looked_up_before_a_second_upload(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, point: str) -> None:
    storage = PostgresStorage(wf_pool, "workflows", 10 * 1024 * 1024)
    key = f"workflows-test/devis-{point}.pdf"
    await storage.put(key, b"%PDF-1.7 devis", "application/pdf")
    async with FakeDriveServer() as drive:
        step = {"type": "upload_drive", "config": {"file_key": key, "folder_id": "folder-1"}}
        run_id = await _crash_then_recover(make_wf, wf_pool, wf_settings, point, [step],
                                           drive_base_url=drive.base_url)
    run = await run_row(wf_pool, run_id)
    assert run["status"] == "completed", run["error"]
    assert drive.uploads == 1
    (file_id,) = drive.files
    final = (await attempts(wf_pool, run_id))[-1]
    assert final["provider_id"] == file_id and drive.contents[file_id] == b"%PDF-1.7 devis"
    assert bool(final["input"].get("lookup")) is (point == "after_effect")


@pytest.mark.parametrize(("point", "sent"), [("before_effect", 1), ("after_effect", 2)])
async def test_a_worker_process_killed_mid_send_is_taken_over(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings, smtp: FakeSmtpServer,
        point: str, sent: int) -> None:
    """The same, with a real process that dies: its attempt stays in flight until another takes over."""
    wf = make_wf(mail=smtp.settings())
    step = {"type": "send_email", "config": {"to": "{{ event.to }}", "subject": "Alerte", "body": "Texte"}}
    workflow = await add_workflow(wf_pool, wf, steps=[step])
    run_id = await start_run(wf_pool, wf, workflow, {"to": "owner@boutique.fr"})
    # the worker claims whatever is due: leave it only this run (earlier tests may have left some)
    await wf_pool.execute("UPDATE app_workflow_runs SET status = 'failed', error = 'cleared by a test' "
                          "WHERE status IN ('queued', 'running', 'waiting') AND id <> $1", run_id)
    assert wf_settings.database_url is not None
    environ = {**os.environ, "DATABASE_URL": wf_settings.database_url.get_secret_value(),
               "AMQP_URL": wf_settings.amqp_url.get_secret_value(), "COMPTOIR_QUEUE_PREFIX": wf_settings.queue_prefix,
               "COMPTOIR_EVENTS_EXCHANGE": wf_settings.events_exchange, "LOG_LEVEL": "WARNING"}
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.workflows.crash_worker", point, str(smtp.port), run_id, env=environ,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(worker.communicate(), 60)
    assert worker.returncode == 86, err.decode()[-2000:]
    (in_flight,) = await attempts(wf_pool, run_id)
    assert in_flight["status"] == "running" and in_flight["finished_at"] is None
    assert len(smtp.messages) == sent - 1
    await asyncio.sleep(1.2)  # the dead worker's lease runs out
    async with executor(make_wf(mail=smtp.settings()), wf_settings) as ex:
        await settle(ex)
    assert (await run_row(wf_pool, run_id))["status"] == "completed"
    assert len(smtp.messages) == sent and len({m["Message-ID"] for m in smtp.messages}) == 1
