"""`comptoir …` run inside the test process (the CLI's own code path, without a subprocess's start-up):
the settings a test's services use, the output captured, and logging put back afterwards (main()
points the logs at the captured stderr, which is closed after the test)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
import structlog

from comptoir.cli import main
from libs.common.settings import Settings, get_settings


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def logging_restored() -> Iterator[None]:
    saved = structlog.get_config()
    handlers = logging.getLogger().handlers[:]
    try:
        yield
    finally:
        structlog.configure(**saved)
        logging.getLogger().handlers[:] = handlers


def cli_runner(settings: Settings, command: str, monkeypatch: pytest.MonkeyPatch,
               capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., Awaitable[Done]]]:
    """For a fixture: `run(*argv)` runs `comptoir <command> *argv` in a thread (the command runs its
    own event loop) against `settings`' database and broker names."""
    s = settings
    assert s.database_url is not None
    for name, value in {"COMPTOIR_ENV": "test", "DATABASE_URL": s.database_url.get_secret_value(),
                        "AMQP_URL": s.amqp_url.get_secret_value(), "COMPTOIR_QUEUE_PREFIX": s.queue_prefix,
                        "COMPTOIR_EVENTS_EXCHANGE": s.events_exchange, "COMPTOIR_DATA_DIR": str(s.data_dir),
                        "LOG_LEVEL": "WARNING"}.items():
        monkeypatch.setenv(name, value)

    async def run(*argv: str) -> Done:
        capsys.readouterr()
        get_settings.cache_clear()
        try:
            code = await asyncio.to_thread(main, [command, *argv])
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            get_settings.cache_clear()
        out, err = capsys.readouterr()
        return Done(code, out, err)

    with logging_restored():
        yield run
