"""A workflows worker process that dies (`os._exit`) at a fixed point of its first step attempt.

    python -m tests.workflows.crash_worker POINT SMTP_PORT RUN_ID     (settings from the environment)

It claims what is due, drives it, and exits with status 86 at POINT (`before_effect` or
`after_effect`), leaving its lease and its in-flight attempt behind as a killed process would.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from libs.common.db import create_pool
from libs.common.llm import LLMSettings
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from libs.mail import MailSettings
from services.workflows.config import WorkflowsSettings
from services.workflows.deps import Workflows, build_env
from services.workflows.engine import Executor
from services.workflows.steps import builtin_registry

EXIT_CODE = 86


async def main(point: str, smtp_port: int, run_id: str) -> int:
    settings = Settings()
    pool = await create_pool(settings, min_size=1, max_size=2)
    mail = MailSettings(_env_file=None, host="127.0.0.1", port=smtp_port, from_="boutique@example.test",
                        tls="none", timeout_s=5)
    env = build_env(settings, pool, RpcClient(settings, source="workflows"),
                    cfg=WorkflowsSettings(_env_file=None, lease_s=1.0), mail=mail,
                    llm=LLMSettings(_env_file=None, base_url=None))
    wf = Workflows(pool=pool, env=env, registry=builtin_registry(), replica=f"doomed-{os.getpid()}")

    async def fault(where: str, call: Any) -> None:
        if where == point and call.run_id == run_id:
            os._exit(EXIT_CODE)  # no cleanup, no lease released: the process is gone
    executor = Executor(wf, settings, fault=fault)
    await executor.pump()
    await executor.drain()
    return 0  # nothing was due: the test sees exit 0 and fails


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3])))
