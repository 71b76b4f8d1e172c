"""What every agents handler gets, built once at start-up (app.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
from aio_pika.abc import AbstractExchange, AbstractRobustConnection

from libs.common import broker
from libs.common.llm import LLMClient
from libs.common.logging import get_logger
from libs.common.messages import Envelope
from libs.common.outbox import amqp_message
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from libs.mail import MailSettings
from services.agents.config import AgentsSettings
from services.agents.registry import RegistryCache

log = get_logger(__name__)


class StepPublisher:
    """The fast path of a run's next step message: published as soon as the step commits, without
    waiting for the outbox relay. The outbox holds the same envelope (same id), so the copy the relay
    sends later is a duplicate the consumer's inbox skips; if this publish is lost, that copy still
    comes."""

    def __init__(self, connection: AbstractRobustConnection, exchange: AbstractExchange) -> None:
        self.connection, self.exchange = connection, exchange

    @classmethod
    async def open(cls, settings: Settings) -> StepPublisher:
        connection = await broker.connect(settings, name="agents-steps")
        channel = await connection.channel(publisher_confirms=False)
        exchange = await broker.declare_events_exchange(channel, broker.Names(settings))
        return cls(connection, exchange)

    async def send(self, envelope: Envelope) -> None:
        try:
            await self.exchange.publish(amqp_message(envelope), routing_key=envelope.type, mandatory=False)
        except Exception as exc:  # the outbox copy follows
            log.warning("agent_step_fast_path_failed", error=str(exc))

    async def close(self) -> None:
        await self.connection.close()


@dataclass
class AgentsDeps:
    settings: AgentsSettings
    llm: LLMClient
    mail: MailSettings
    # the runner's own pool: a step runs while its consumer holds a connection of the service's pool
    # (the inbox transaction), so its own queries must not wait for that pool
    pool: asyncpg.Pool
    rpc: RpcClient
    steps: StepPublisher | None = None
    registry: RegistryCache | None = None
    tasks: list[object] = field(default_factory=list)
