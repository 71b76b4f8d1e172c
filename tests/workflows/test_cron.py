"""Cron triggers: the shop's time zone and its daylight-saving changes, one firing per tick with two
replicas, and one catch-up after downtime — with an injected clock, never the minute the test runs in."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from libs.common.settings import Settings
from services.workflows import cron, repo
from services.workflows.clock import ManualClock
from services.workflows.scheduler import CronScheduler
from tests.workflows.conftest import WfFactory, add_workflow

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def _local(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def test_ticks_are_in_the_shops_time_zone() -> None:
    tick = cron.next_tick("0 9 * * 1", PARIS, _local(2026, 12, 1, 12, 0))  # Mondays 09:00, winter (UTC+1)
    assert tick == dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    tick = cron.next_tick("0 9 * * 1", PARIS, _local(2026, 6, 2, 12, 0))  # summer (UTC+2)
    assert tick == dt.datetime(2026, 6, 8, 7, 0, tzinfo=UTC)


def test_spring_forward_fires_a_missing_time_once_right_after_the_gap() -> None:
    first = cron.next_tick("30 2 * * *", PARIS, _local(2026, 3, 28, 12, 0))
    assert first.astimezone(PARIS) == _local(2026, 3, 29, 3, 0)
    assert cron.next_tick("30 2 * * *", PARIS, first).astimezone(PARIS) == _local(2026, 3, 30, 2, 30)


def test_fall_back_fires_an_explicit_hour_once_and_every_half_hour_in_both() -> None:
    first = cron.next_tick("30 2 * * *", PARIS, _local(2026, 10, 24, 12, 0))
    second = cron.next_tick("30 2 * * *", PARIS, first)
    assert (second - first) == dt.timedelta(hours=25)  # not again in the repeated hour
    start = dt.datetime(2026, 10, 24, 23, 50, tzinfo=UTC)  # 01:50 in Paris, summer time
    ticks = []
    for _ in range(4):
        start = cron.next_tick("*/30 * * * *", PARIS, start)
        ticks.append(start)
    assert [(b - a) for a, b in itertools.pairwise(ticks)] == [dt.timedelta(minutes=30)] * 3


@pytest.mark.parametrize("expr", ["61 * * * *", "* * * *", "0 0 * * * *", "every day"])
def test_invalid_expressions_are_refused(expr: str) -> None:
    with pytest.raises(cron.CronInvalid):
        cron.check(expr)


async def _only(pool: asyncpg.Pool, workflow: asyncpg.Record) -> None:
    """This test's cron workflow is the only one enabled in the package's database."""
    await pool.execute("UPDATE app_workflows SET enabled = false WHERE trigger_cron IS NOT NULL AND id <> $1",
                       workflow["id"])


async def _runs(pool: asyncpg.Pool, workflow_id: object) -> list[asyncpg.Record]:
    return list(await pool.fetch("SELECT trigger_ref, scheduled_at, input FROM app_workflow_runs "
                                 "WHERE workflow_id = $1 ORDER BY scheduled_at", workflow_id))


async def test_two_replicas_fire_each_tick_once(make_wf: WfFactory, wf_pool: asyncpg.Pool,
                                                wf_settings: Settings) -> None:
    clock = ManualClock(dt.datetime(2030, 1, 7, 8, 59, 30, tzinfo=UTC))
    a, b = make_wf(replica="cron-a", clock=clock), make_wf(replica="cron-b", clock=clock)
    workflow = await add_workflow(wf_pool, a, trigger_cron="*/1 * * * *",
                                  steps=[{"type": "log", "config": {"message": "tick"}}])
    await wf_pool.execute("UPDATE app_workflows SET cron_since = $2 WHERE id = $1", workflow["id"], clock.now())
    await _only(wf_pool, workflow)
    replicas = [CronScheduler(a, wf_settings), CronScheduler(b, wf_settings)]
    for _ in range(3):
        clock.advance(seconds=30)
        created = [await r.tick_once() for r in replicas] + [await r.tick_once() for r in reversed(replicas)]
        assert sum(len(c) for c in created) <= 1
        clock.advance(seconds=30)
        created = [await r.tick_once() for r in replicas]
        assert sum(len(c) for c in created) <= 1
    runs = await _runs(wf_pool, workflow["id"])
    assert [r["scheduled_at"] for r in runs] == [dt.datetime(2030, 1, 7, 9, m, tzinfo=UTC) for m in range(3)]


@pytest.mark.parametrize(("catch_up", "fired"), [("once", 1), ("skip", 0)])
async def test_downtime_is_caught_up_once_or_skipped(make_wf: WfFactory, wf_pool: asyncpg.Pool,
                                                     wf_settings: Settings, catch_up: str, fired: int) -> None:
    clock = ManualClock(dt.datetime(2030, 2, 4, 10, 0, 10, tzinfo=UTC))
    wf = make_wf(clock=clock, cron_grace_s=30)
    workflow = await add_workflow(wf_pool, wf, trigger_cron="*/5 * * * *", settings={"catch_up": catch_up},
                                  steps=[{"type": "log", "config": {"message": "tick"}}])
    await wf_pool.execute("UPDATE app_workflows SET cron_since = $2 WHERE id = $1", workflow["id"], clock.now())
    await _only(wf_pool, workflow)
    scheduler = CronScheduler(wf, wf_settings)
    clock.advance(hours=2)  # down for two hours: 24 ticks missed
    await scheduler.tick_once()
    await scheduler.tick_once()
    runs = await _runs(wf_pool, workflow["id"])
    assert len(runs) == fired
    claim: Any = await wf_pool.fetchrow("SELECT tick_at, missed FROM app_workflow_cron_ticks WHERE workflow_id = $1",
                                   workflow["id"])
    assert claim["tick_at"] == dt.datetime(2030, 2, 4, 12, 0, tzinfo=UTC) and claim["missed"] == 23
    if fired:
        assert runs[0]["input"]["missed"] == 23
    clock.advance(minutes=5)  # back on time: the next tick fires under either policy
    await scheduler.tick_once()
    assert len(await _runs(wf_pool, workflow["id"])) == fired + 1


async def test_a_re_enabled_workflow_does_not_catch_up_while_it_was_off(
        make_wf: WfFactory, wf_pool: asyncpg.Pool, wf_settings: Settings) -> None:
    clock = ManualClock(dt.datetime(2030, 3, 4, 10, 0, 10, tzinfo=UTC))
    wf = make_wf(clock=clock)
    workflow = await add_workflow(wf_pool, wf, trigger_cron="0 * * * *", enabled=False,
                                  steps=[{"type": "log", "config": {"message": "tick"}}])
    await _only(wf_pool, workflow)
    scheduler = CronScheduler(wf, wf_settings)
    clock.advance(hours=5)
    await wf_pool.fetchrow(repo.SET_ENABLED, workflow["name"], True, clock.now())
    await scheduler.tick_once()
    assert await _runs(wf_pool, workflow["id"]) == []
    clock.advance(hours=1)
    await scheduler.tick_once()
    assert len(await _runs(wf_pool, workflow["id"])) == 1
