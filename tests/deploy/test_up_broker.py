"""`comptoir up` checks the broker first: with nothing on a local AMQP_URL it starts a private
RabbitMQ node under the data directory (on that URL's port, never the shared 5672) and stops it with
`up`; without rabbitmq-server it stops at once, before migrating, with the command that installs one."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import eventually


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def data_folder() -> Iterator[Path]:
    # not pytest's tmp_path: the rabbitmq user (the node drops to it when run as root) must reach it
    folder = Path(tempfile.mkdtemp(prefix="comptoir-up-broker-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _env(dsn: str, data: Path, amqp_port: int, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(data), "COMPTOIR_ENV": "test",
            "DATABASE_URL": dsn, "COMPTOIR_DATA_DIR": str(data),
            "AMQP_URL": f"amqp://guest:guest@127.0.0.1:{amqp_port}/", "COMPTOIR_QUEUE_PREFIX": "upbroker.",
            "COMPTOIR_EVENTS_EXCHANGE": "upbroker.events", "LOG_LEVEL": "WARNING", **extra}


async def test_without_a_broker_up_stops_before_migrating(fresh_dsn: str, data_folder: Path) -> None:
    amqp_port = _free_port()
    env = _env(fresh_dsn, data_folder, amqp_port, PATH="/nonexistent")  # no rabbitmq-server to be found
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "comptoir", "up", "--port", str(_free_port()), "--no-demo", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 120)
    text = err.decode()
    assert process.returncode == 1, text
    assert f"no RabbitMQ answers on 127.0.0.1:{amqp_port}" in text and "apt-get install rabbitmq-server" in text
    assert "Traceback" not in text and "migration" not in text
    conn = await asyncpg.connect(fresh_dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('schema_migrations')") is None  # nothing migrated
    finally:
        await conn.close()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("rabbitmq-server") is None, reason="rabbitmq-server is not installed")
async def test_up_starts_and_stops_a_private_node(db_dsn: str, data_folder: Path) -> None:
    amqp_port, http_port = _free_port(), _free_port()
    assert amqp_port != 5672
    log = data_folder / "up.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "comptoir", "up", "--port", str(http_port), "--no-demo",
            env=_env(db_dsn, data_folder, amqp_port), stdout=out, stderr=out)
    try:
        async def ready() -> bool:
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    return (await client.get(f"http://127.0.0.1:{http_port}/readyz")).status_code == 200
            except httpx.TransportError:
                assert process.returncode is None, log.read_text()
                return False

        await eventually(ready, timeout=240)
        assert _answers(amqp_port)
        assert (data_folder / "rabbitmq" / "mnesia").is_dir()
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 120)
    text = log.read_text()
    assert process.returncode == 0, text
    assert f"nothing answers on 127.0.0.1:{amqp_port}; starting a private RabbitMQ node" in text
    assert "stopping the private RabbitMQ node" in text
    assert text.index("private RabbitMQ node") < text.index("schema")  # the broker before the migrations
    assert not _answers(amqp_port)  # stopped with up
