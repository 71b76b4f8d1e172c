"""The `comptoir` command reports unreachable dependencies in one line, with exit code 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COMPTOIR = str(Path(sys.executable).parent / "comptoir")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMPTOIR, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "LOG_JSON": "true", **env}, check=False)


def test_unreachable_broker_is_one_line(db_dsn: str) -> None:
    result = run("check", DATABASE_URL=db_dsn, AMQP_URL="amqp://guest:guest@127.0.0.1:1/")
    assert result.returncode == 1
    assert "database: ok" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors == [errors[-1]] and errors[-1].startswith("comptoir: error: cannot connect to RabbitMQ")
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_without_password() -> None:
    result = run("check", DATABASE_URL="postgresql://someone:hunter2@127.0.0.1:1/shop")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("comptoir: error: cannot connect to database")
    assert "hunter2" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_passes_on_reachable_services(db_dsn: str, amqp_url: str) -> None:
    result = run("check", DATABASE_URL=db_dsn, AMQP_URL=amqp_url)
    assert result.returncode == 0, result.stderr
    assert "broker: ok" in result.stdout


def test_production_refuses_default_secrets(db_dsn: str) -> None:
    result = run("check", COMPTOIR_ENV="production", DATABASE_URL=db_dsn)
    assert result.returncode == 2
    assert result.stderr.startswith("comptoir: error: invalid settings: production mode needs")
    assert "COMPTOIR_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
