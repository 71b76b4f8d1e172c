"""Runtime flags (libs/common/flags.py): one typed model, one reading rule, one watcher for every service.

The watcher hears a change through NOTIFY alone (polling set far away), and still polls without its
LISTEN connection. The values the issue found read differently by chat and security ("enabled",
"disabled", {"enabled": false}) are read the same way everywhere: as the flag's default.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr

from libs.common.flags import KNOWN, FlagError, FlagWatcher, RuntimeFlags, check_flag, parse_flags, read_flags
from libs.common.settings import Settings

SEEDED = {"wixFirstStrict", "hp40BoostEnabled", "conversationGuardEnabled", "roleLockEnabled", "v3KillSwitch",
          "topicLockEnabled", "socialApprovalRequired"}  # migration 022


def test_every_seeded_flag_is_known_with_its_seeded_default() -> None:
    assert set(KNOWN) == SEEDED
    assert RuntimeFlags().by_name() == {
        "wixFirstStrict": False, "hp40BoostEnabled": False, "conversationGuardEnabled": True,
        "roleLockEnabled": True, "v3KillSwitch": False, "topicLockEnabled": True, "socialApprovalRequired": True}


async def test_the_seeded_rows_read_as_their_defaults(pool: asyncpg.Pool) -> None:
    rows = {r["key"]: r["value"] for r in await pool.fetch("SELECT key, value FROM app_runtime_state")}
    assert set(rows) >= SEEDED
    flags, problems = parse_flags({k: v for k, v in rows.items() if k in SEEDED})
    assert problems == {}
    assert await read_flags(pool) == flags


@pytest.mark.parametrize("value", ["enabled", "disabled", {"enabled": False}, {"enabled": True}, "false", "true",
                                   0, 1, None, [], "off"])
def test_a_stored_value_that_is_not_a_boolean_reads_as_the_default(value: Any) -> None:
    flags, problems = parse_flags({"conversationGuardEnabled": value, "v3KillSwitch": value})
    assert (flags.conversation_guard, flags.kill_switch) == (True, False)
    assert set(problems) == {"conversationGuardEnabled", "v3KillSwitch"}
    assert "not a boolean" in problems["v3KillSwitch"]


def test_booleans_read_as_themselves_and_unknown_names_are_reported() -> None:
    flags, problems = parse_flags({"conversationGuardEnabled": False, "v3KillSwitch": True, "nosuchFlag": True})
    assert (flags.conversation_guard, flags.kill_switch, flags.role_lock) == (False, True, True)
    assert problems == {"nosuchFlag": "unknown flag; ignored"}


@pytest.mark.parametrize(("name", "value", "code"), [
    ("conversationGuardEnabled", "enabled", "invalid_flag_value"),
    ("conversationGuardEnabled", "disabled", "invalid_flag_value"),
    ("conversationGuardEnabled", {"enabled": False}, "invalid_flag_value"),
    ("roleLockEnabled", 0, "invalid_flag_value"),
    ("roleLockEnabled", None, "invalid_flag_value"),
    ("conversationGuardEnable", True, "unknown_flag"),
])
def test_check_flag_refuses_with_a_reason(name: str, value: Any, code: str) -> None:
    with pytest.raises(FlagError) as caught:
        check_flag(name, value)
    assert caught.value.code == code
    assert (name in caught.value.reason) if code == "invalid_flag_value" else ("known flags:" in caught.value.reason)


def test_the_model_is_typed_and_frozen() -> None:
    flags = RuntimeFlags(kill_switch=True)
    with pytest.raises(ValueError, match="frozen"):
        flags.kill_switch = False  # type: ignore[misc]
    with pytest.raises(ValueError, match="Extra inputs"):
        RuntimeFlags(nosuch=True)  # type: ignore[call-arg]


async def test_flag_change_is_heard_through_notify(settings: Settings, pool: asyncpg.Pool) -> None:
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
        # a non-boolean written by hand: the watcher reads the default, as every service does
        set_value = "UPDATE app_runtime_state SET value = $2 WHERE key = $1"
        await pool.execute(set_value, "topicLockEnabled", "disabled")
        await pool.execute(set_value, "roleLockEnabled", {"enabled": False})
        await watcher.refresh()
        assert (watcher.current.topic_lock, watcher.current.role_lock) == (True, True)
    finally:
        await pool.execute("UPDATE app_runtime_state SET value = 'true' "
                           "WHERE key IN ('topicLockEnabled', 'roleLockEnabled')")
        await watcher.stop()


async def test_watcher_without_listen_connection_still_polls(settings: Settings, pool: asyncpg.Pool) -> None:
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


def test_the_console_offers_known_flags_with_their_defaults() -> None:
    from services.gateway.console.console_repo import KNOWN_FLAGS, flag_on

    assert set(KNOWN_FLAGS) <= set(KNOWN)
    assert all(KNOWN[name].default is default for name, (default, _) in KNOWN_FLAGS.items())
    assert [flag_on(v, True) for v in ("disabled", {"enabled": False}, False)] == [True, True, False]
