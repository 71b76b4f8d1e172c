"""Real service processes for fault tests: `python -m services.<name>` (exactly `comptoir serve <name>`),
each with its own log file, on a database and broker names of the test's own.

`Stack.spawn("chat")` starts one replica (call it again for a second one); `kill()` sends SIGKILL;
`wait_consumers()` polls the broker until every queue of a service has as many consumers as it has
replicas running, so a test knows the process is really serving before it counts on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from libs.common.settings import REPO_ROOT, Settings

NO_LIMITS = json.dumps({"session": {"max": 1_000_000, "window_seconds": 60},
                        "ip": {"max": 1_000_000, "window_seconds": 60},
                        "routes": {"default": {"max": 1_000_000, "window_seconds": 60}}})
ADMIN_TOKEN = "resilience-admin-token-0123456789"
SECRET_KEY = "resilience-secret-key-0123456789abcdef"


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class Stack:
    settings: Settings
    log_dir: Path
    llm_base_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: list[Proc] = field(default_factory=list)
    gateway_port: int = 0

    def env(self, **extra: str) -> dict[str, str]:
        assert self.settings.database_url is not None
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GATEWAY_", "LLM_", "SECURITY_", "CHAT_", "RAG_", "BILLING_", "STRIPE_",
                                    "WIX_", "COMPTOIR_", "DATABASE_URL", "AMQP_URL"))}
        env.update({
            "COMPTOIR_ENV": "test",
            "DATABASE_URL": self.settings.database_url.get_secret_value(),
            "AMQP_URL": self.settings.amqp_url.get_secret_value(),
            "COMPTOIR_DATA_DIR": str(self.settings.data_dir),
            "COMPTOIR_QUEUE_PREFIX": self.settings.queue_prefix,
            "COMPTOIR_EVENTS_EXCHANGE": self.settings.events_exchange,
            "COMPTOIR_SECRET_KEY": SECRET_KEY,
            "COMPTOIR_RPC_TIMEOUT_S": str(self.settings.rpc_timeout_s),
            "OUTBOX_POLL_INTERVAL_S": "0.2",
            "DB_POOL_MAX": "6",
            "LLM_BASE_URL": self.llm_base_url, "LLM_API_KEY": "sk-test", "LLM_MODEL": "fake",
            "LLM_MAX_RETRIES": "0",
            "SECURITY_RATE_LIMITS": NO_LIMITS,
            "GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
            "LOG_LEVEL": "WARNING", "LOG_JSON": "true",
        })
        env.update(self.extra_env)
        env.update(extra)
        return env

    def spawn(self, name: str, **extra: str) -> Proc:
        index = sum(1 for p in self.procs if p.name == name)
        log = self.log_dir / f"{name}-{index}.log"
        env = self.env(**extra)
        if name == "gateway":
            env.update({"GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(self.gateway_port)})
        with log.open("ab") as out:
            popen = subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=REPO_ROOT, env=env,
                                     stdout=out, stderr=subprocess.STDOUT)
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def running(self, name: str) -> list[Proc]:
        return [p for p in self.procs if p.name == name and p.alive]

    def kill(self, proc: Proc) -> None:
        proc.popen.send_signal(signal.SIGKILL)
        proc.popen.wait(10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    async def wait_gateway(self, timeout: float = 90.0) -> None:
        gateway = self.running("gateway")[-1]
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            while time.monotonic() < deadline:
                if not gateway.alive:
                    raise AssertionError(f"gateway exited:\n{gateway.tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/readyz", timeout=2)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise AssertionError(f"gateway not ready within {timeout:g}s:\n{gateway.tail()}")

    async def wait_consumers(self, list_queues: Callable[[], list[dict[str, object]]], service: str,
                             timeout: float = 90.0) -> None:
        """Until every request queue of `service` has one consumer per running replica."""
        replicas = len(self.running(service))
        prefix = f"{self.settings.queue_prefix}{service}.rpc."
        deadline = time.monotonic() + timeout
        while True:
            for proc in self.running(service):
                if not proc.alive:
                    raise AssertionError(f"{service} exited:\n{proc.tail()}")
            rows = [q for q in await asyncio.to_thread(list_queues) if str(q["name"]).startswith(prefix)]
            if rows and all(int(str(q["consumers"])) >= replicas for q in rows):
                return
            dead = [p for p in self.procs if p.name == service and p.popen.poll() not in (None, -9)]
            if dead:
                raise AssertionError(f"{service} exited:\n{dead[0].tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{service} queues without consumers: {rows}\n"
                                     f"{self.running(service)[-1].tail() if self.running(service) else ''}")
            await asyncio.sleep(0.3)

    async def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.alive:
                proc.popen.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.to_thread(proc.popen.wait, 20)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(5)
