"""A private RabbitMQ node on its own ports, for tests that stop and start a broker.

The shared broker on 5672 is never touched: this node has its own node name, AMQP and distribution
ports, database, logs, an empty plugin list and a loopback-only listener. Debian's `rabbitmq-server`
run as root switches to the `rabbitmq` user, so every folder it writes belongs to that user (else
`-detached` fails without a word). `rabbitmqctl await_startup` fails until the node has registered
with epmd, so it is retried.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Self


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rabbitmq_available() -> bool:
    return shutil.which("rabbitmq-server") is not None and shutil.which("rabbitmqctl") is not None


class RabbitNode:
    """`start()` / `stop()` / `restart()` a private node; `amqp_url` points at it."""

    def __init__(self, label: str = "test") -> None:
        self.port = free_port()
        self.dist_port = free_port()
        self.name = f"comptoir-{label}-{uuid.uuid4().hex[:6]}@localhost"
        self.base = Path(tempfile.mkdtemp(prefix="comptoir-rabbit-"))
        for sub in ("mnesia", "log"):
            (self.base / sub).mkdir()
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            "log.console = false\n"
            "log.file.level = warning\n")
        # a quorum queue reports its consumers on its tick (5 s by default): after a restart, a test
        # listing consumers would see none for seconds although they are consuming; tick every second
        (self.base / "advanced.config").write_text("[{rabbit, [{quorum_tick_interval, 1000}]}].\n")
        self._chown(self.base)

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),  # .conf is appended
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
        }

    @staticmethod
    def _chown(path: Path) -> None:
        if os.geteuid() != 0:
            return
        try:
            user = pwd.getpwnam("rabbitmq")
        except KeyError:
            return
        os.chown(path, user.pw_uid, user.pw_gid)
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)
        # mkdtemp makes a 0700 folder: the rabbitmq user owns it now, keep it private
        path.chmod(0o750)

    def ctl(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["rabbitmqctl", "-n", self.name, *args], env=self.env(),
                              capture_output=True, text=True, timeout=timeout, check=False)

    def start(self, timeout: float = 60.0) -> None:
        self._chown(self.base)
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env(), check=True,
                       capture_output=True, timeout=30)
        deadline = time.monotonic() + timeout
        while True:
            done = self.ctl("await_startup", "--timeout", "10", timeout=20)
            if done.returncode == 0 and self._accepts():
                return
            if time.monotonic() > deadline:
                logs = "\n".join(p.read_text(errors="replace")[-2000:]
                                 for p in (self.base / "log").glob("*.log"))
                raise RuntimeError(f"private RabbitMQ {self.name} did not start: {done.stderr}\n{logs}")
            time.sleep(0.3)

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the whole node (the Erlang VM): clients see their connection drop."""
        self.ctl("stop", timeout=60)
        deadline = time.monotonic() + 30
        while self._accepts() and time.monotonic() < deadline:
            time.sleep(0.1)

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def list_queues(self, *columns: str) -> list[dict[str, object]]:
        import json

        out = self.ctl("list_queues", *(columns or ("name", "consumers", "messages")),
                       "--formatter", "json", "-q")
        if out.returncode != 0:
            raise RuntimeError(f"list_queues failed: {out.stderr}")
        rows: list[dict[str, object]] = json.loads(out.stdout or "[]")
        return rows

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()
