"""A handler that loses Postgres answers a retryable `database_unavailable`, never `internal`: which
errors say the database is away (libs.common.db.database_gone)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import asyncpg
import pytest

from libs.common.db import database_gone
from libs.common.service import unavailable_error


async def test_a_unix_socket_gone_while_postgres_restarts_is_the_database_away() -> None:
    folder = Path(tempfile.mkdtemp(prefix="comptoir-no-pg-"))
    try:
        with pytest.raises(OSError) as caught:  # the embedded server's socket file is gone while it restarts
            await asyncpg.connect(host=str(folder), port=5432, user="postgres", database="postgres", timeout=2)
    finally:
        folder.rmdir()
    assert database_gone(caught.value)
    gone = unavailable_error(caught.value)
    assert gone is not None and gone.code == "database_unavailable"


def test_other_errors_are_not_the_database() -> None:
    try:
        Path("/nonexistent/comptoir").read_text()
    except OSError as exc:
        assert not database_gone(exc) and unavailable_error(exc) is None
    assert database_gone(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))
    assert unavailable_error(ValueError("a bug")) is None
