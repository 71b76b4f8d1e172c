"""Runtime flags reach a running watcher through NOTIFY alone (polling set far away)."""

from __future__ import annotations

import asyncio
import time

from pydantic import SecretStr

from services.chat.flags import FlagWatcher


async def test_flag_change_is_heard_through_notify(settings, pool) -> None:
    watcher = FlagWatcher(settings, pool, poll_s=3600)
    await watcher.start()
    try:
        assert watcher.current.topic_lock is True
        await pool.execute("UPDATE app_runtime_state SET value = 'false' WHERE key = 'topicLockEnabled'")
        started = time.monotonic()
        while watcher.current.topic_lock:
            # polling is an hour away: only the NOTIFY path can deliver this (the bound is generous
            # so a loaded CI machine does not fail it; the mechanism is what is tested)
            assert time.monotonic() - started < 5.0, "NOTIFY did not reach the watcher"
            await asyncio.sleep(0.02)
    finally:
        await pool.execute("UPDATE app_runtime_state SET value = 'true' WHERE key = 'topicLockEnabled'")
        await watcher.stop()


async def test_watcher_without_listen_connection_still_polls(settings, pool) -> None:
    unreachable = SecretStr("postgresql://nobody@127.0.0.1:1/nothing")
    broken = settings.model_copy(update={"database_url": unreachable, "db_connect_timeout_s": 0.5})
    watcher = FlagWatcher(broken, pool, poll_s=0.05)
    await watcher.start()
    assert watcher._listener is None
    try:
        await pool.execute("UPDATE app_runtime_state SET value = 'true' WHERE key = 'v3KillSwitch'")
        started = time.monotonic()
        while not watcher.current.kill_switch:
            assert time.monotonic() - started < 5.0
            await asyncio.sleep(0.02)
    finally:
        await pool.execute("UPDATE app_runtime_state SET value = 'false' WHERE key = 'v3KillSwitch'")
        await watcher.stop()
