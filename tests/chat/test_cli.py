"""`comptoir chat ask` refuses bad input with an exit code and a message, before touching anything."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("   ", "the message is empty"),
        ("x" * 20_001, "at most 20000 characters"),
    ],
)
def test_ask_refuses_bad_messages(message: str, reason: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "comptoir", "chat", "ask", message], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert reason in done.stderr
    assert "Traceback" not in done.stderr
