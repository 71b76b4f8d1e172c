"""What every agents handler gets, built once at start-up (app.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from libs.common.llm import LLMClient
from libs.common.rpc import RpcClient
from libs.mail import MailSettings
from services.agents.config import AgentsSettings


@dataclass
class AgentsDeps:
    settings: AgentsSettings
    llm: LLMClient
    mail: MailSettings
    # the runner's own pool: a step runs while its consumer holds a connection of the service's pool
    # (the inbox transaction), so its own queries must not wait for that pool
    pool: asyncpg.Pool
    rpc: RpcClient
    tasks: list[object] = field(default_factory=list)
