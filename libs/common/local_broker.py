"""A broker for `comptoir up`, the way there is an embedded database.

`up` checks the broker before it migrates or loads anything. When nothing answers on a local
`AMQP_URL` with the default guest credentials (the development default is 127.0.0.1:5672) and
Debian's `rabbitmq-server` is installed, a private node is started under the data directory, on
that URL's port, and stopped with `up`. Otherwise `up` stops at once, saying how to get a broker.

The private node has its own node name, distribution port, database and logs, no plugins and a
loopback-only listener, so it never meets a shared broker. Run as root, Debian's `rabbitmq-server`
switches to the `rabbitmq` user: its folders are given to that user, or `-detached` fails silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from libs.common.broker import connect
from libs.common.errors import ComptoirError, ConfigurationError
from libs.common.settings import Settings

INSTALL_HINT = "install one (Debian: apt-get install rabbitmq-server, or scripts/services.sh) or set AMQP_URL"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
START_TIMEOUT_S = 90.0
Progress = Callable[[str], None]


@dataclass
class PrivateNode:
    base: Path  # <data dir>/rabbitmq
    port: int

    @property
    def name(self) -> str:
        digest = hashlib.sha256(str(self.base.resolve()).encode()).hexdigest()[:8]
        return f"comptoir-{digest}@localhost"

    def env(self, dist_port: int | None = None) -> dict[str, str]:
        env = {**os.environ,
               "RABBITMQ_NODENAME": self.name,
               "RABBITMQ_NODE_PORT": str(self.port),
               "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
               "RABBITMQ_LOG_BASE": str(self.base / "log"),
               "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
               "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq")}  # rabbitmq-server appends .conf
        if dist_port is not None:
            env["RABBITMQ_DIST_PORT"] = str(dist_port)
        return env

    def prepare(self) -> None:
        for sub in ("mnesia", "log"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            "log.console = false\n"
            "log.file.level = warning\n")
        _give_to_rabbitmq_user(self.base)

    def start(self) -> None:
        self.prepare()
        subprocess.run([_tool("rabbitmq-server"), "-detached"], env=self.env(_free_port()),  # noqa: S603
                       check=False, capture_output=True, timeout=60)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (self._ctl("await_startup", "--timeout", "5").returncode == 0 and _answers("127.0.0.1", self.port)):
            if time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(
                    f"the private RabbitMQ node did not start within {START_TIMEOUT_S:g}s (logs in "
                    f"{self.base / 'log'}; the rabbitmq user must be able to reach {self.base})")
            time.sleep(0.5)

    def stop(self) -> None:
        self._ctl("stop", timeout=60)

    def _ctl(self, *args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run([_tool("rabbitmqctl"), "-n", self.name, *args],  # noqa: S603
                                  env=self.env(), capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(args, 1, "", "timed out")


@contextlib.asynccontextmanager
async def broker_for_up(settings: Settings, progress: Progress) -> AsyncIterator[None]:
    """Make sure a broker answers on AMQP_URL for the duration of the block (see the module's doc)."""
    url = urlsplit(settings.amqp_url.get_secret_value())
    host, port = url.hostname or "127.0.0.1", url.port or 5672
    try:
        connection = await connect(settings, name="comptoir-up-check")
    except ComptoirError as exc:
        failure = str(exc)
    else:
        await connection.close()
        progress(f"broker: RabbitMQ at {host}:{port}")
        yield
        return
    if host not in LOCAL_HOSTS or (url.username, url.password) != ("guest", "guest") or _answers(host, port):
        # not ours to replace: a remote broker, other credentials, or something that answers and refuses
        raise ConfigurationError(f"{failure}; {INSTALL_HINT}")
    if shutil.which("rabbitmq-server") is None or shutil.which("rabbitmqctl") is None:
        raise ConfigurationError(f"no RabbitMQ answers on {host}:{port} and rabbitmq-server is not installed: "
                                 f"{INSTALL_HINT}")
    node = PrivateNode(settings.data_dir / "rabbitmq", port)
    progress(f"broker: nothing answers on {host}:{port}; starting a private RabbitMQ node in {node.base} "
             f"on port {port} (stopped with up) …")
    await asyncio.to_thread(node.start)
    progress(f"broker: private RabbitMQ node {node.name} running")
    try:
        yield
    finally:
        progress("broker: stopping the private RabbitMQ node …")
        await asyncio.to_thread(node.stop)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigurationError(f"{name} is not installed: {INSTALL_HINT}")
    return path


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _give_to_rabbitmq_user(base: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam("rabbitmq")
    except KeyError:
        return
    for root, _dirs, files in os.walk(base):
        os.chown(root, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)
    base.chmod(0o750)
