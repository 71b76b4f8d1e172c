"""Runtime flags: the one list of known flags, one typed model, one reading rule, one watcher.

Flags live in `app_runtime_state` (one row per flag, JSON value; migrations 022 and 029), written by
the gateway's admin API and the owner console, read live by every service. Every known flag is a
boolean: the admin API refuses an unknown name or any value but JSON `true`/`false` (422 with the
reason, `check_flag`). A stored value that is not a boolean (written by hand, or before this rule:
`"enabled"`, `"disabled"`, `{"enabled": false}`, `1`) is read as the flag's default by every
service alike and logged (`runtime_flag_invalid`): no service guesses what it meant.

`FlagWatcher` keeps `current` up to date: `NOTIFY comptoir_runtime_flags` (trigger of migration 029)
applies a change at once, polling (0.5 s by default) when the notification is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from libs.common.db import Conn, connect
from libs.common.logging import get_logger
from libs.common.settings import Settings

log = get_logger(__name__)
CHANNEL = "comptoir_runtime_flags"
SELECT_FLAGS = "SELECT key, value FROM app_runtime_state"


class RuntimeFlags(BaseModel):
    """Every known flag, typed; the field's alias is the flag's name in app_runtime_state."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    kill_switch: bool = Field(False, alias="v3KillSwitch",
                              description="no LLM: answers come from the knowledge base only")
    topic_lock: bool = Field(True, alias="topicLockEnabled",
                             description="steer off-topic conversations back to the shop")
    conversation_guard: bool = Field(True, alias="conversationGuardEnabled",
                                     description="check every model reply (prompt leaks, others' data)")
    role_lock: bool = Field(True, alias="roleLockEnabled",
                            description="refuse requests to change the assistant's role")
    wix_first_strict: bool = Field(False, alias="wixFirstStrict",
                                   description="quote Wix catalogue products only, check out through Wix only")
    hp40_boost: bool = Field(False, alias="hp40BoostEnabled", description="reserved by the specification (022)")
    social_approval_required: bool = Field(True, alias="socialApprovalRequired",
                                           description="social posts wait for an owner's approval")

    def by_name(self) -> dict[str, bool]:
        return self.model_dump(by_alias=True)


@dataclass(frozen=True)
class FlagSpec:
    name: str
    field: str
    default: bool
    description: str


KNOWN: dict[str, FlagSpec] = {
    str(info.alias): FlagSpec(str(info.alias), field, bool(info.default), info.description or "")
    for field, info in RuntimeFlags.model_fields.items()
}


class FlagError(ValueError):
    """An unknown flag name or a value that is not a boolean (the admin API answers 422)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def check_flag(name: str, value: Any) -> bool:
    """The value to store for `name`, or FlagError: known flags only, JSON true/false only."""
    if name not in KNOWN:
        raise FlagError("unknown_flag", f"unknown flag {name[:64]!r}; known flags: {', '.join(sorted(KNOWN))}")
    if not isinstance(value, bool):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise FlagError("invalid_flag_value", f"flag {name} takes true or false (a JSON boolean), not {shown}")
    return value


def flag_value(value: Any, default: bool) -> bool:
    """The one reading rule for a stored value: a JSON boolean as is, anything else (or nothing) as the
    default."""
    return value if isinstance(value, bool) else default


def stored_flag(name: str, value: Any) -> bool:
    """A known flag's stored value, read by the one rule (its default unless a boolean)."""
    return flag_value(value, KNOWN[name].default)


def parse_flags(values: Mapping[str, Any]) -> tuple[RuntimeFlags, dict[str, str]]:
    """The typed flags from app_runtime_state's rows, and what was wrong with them (name → reason)."""
    problems: dict[str, str] = {}
    chosen: dict[str, bool] = {}
    for name, spec in KNOWN.items():
        if name not in values:
            continue
        value = values[name]
        chosen[spec.field] = flag_value(value, spec.default)
        if not isinstance(value, bool):
            problems[name] = f"not a boolean ({type(value).__name__}); read as its default {spec.default}"
    for name in values:
        if name not in KNOWN:
            problems[name] = "unknown flag; ignored"
    return RuntimeFlags(**chosen), problems


async def read_flags(conn: Conn | asyncpg.Pool) -> RuntimeFlags:
    """One reading of every flag (for a command or a request that cannot wait for a watcher)."""
    rows = await conn.fetch(SELECT_FLAGS)
    flags, _ = parse_flags({r["key"]: r["value"] for r in rows})
    return flags


class FlagWatcher:
    """The current flags of one process, kept live (LISTEN/NOTIFY, polling as a safety net)."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool, poll_s: float = 0.5) -> None:
        self.settings = settings
        self.pool = pool
        self.poll_s = poll_s
        self.current = RuntimeFlags()
        self._problems: dict[str, str] = {}
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._refreshes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.refresh()
        try:
            self._listener = await connect(self.settings)
            await self._listener.add_listener(CHANNEL, self._notified)
        except Exception as exc:  # polling still applies changes
            log.warning("flags_listen_unavailable", error=str(exc))
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._refreshes):
            task.cancel()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()

    async def refresh(self) -> RuntimeFlags:
        rows = await self.pool.fetch(SELECT_FLAGS)
        flags, problems = parse_flags({r["key"]: r["value"] for r in rows})
        if problems != self._problems:
            for name, reason in problems.items():
                log.warning("runtime_flag_invalid", flag=name[:64], reason=reason)
            self._problems = problems
        if flags != self.current:
            log.info("runtime_flags_changed", flags=flags.by_name())
        self.current = flags
        return flags

    def _notified(self, *_: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._safe_refresh())
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    async def _safe_refresh(self) -> None:
        try:
            await self.refresh()
        except Exception as exc:
            log.warning("flags_refresh_failed", error=str(exc))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            await self._safe_refresh()
