"""Event triggers: every enabled workflow whose `trigger_event` is the event's type gets one run.

The service consumes one queue, `workflows.triggers`, bound to the events exchange by each type some
enabled workflow listens to (bound again whenever a workflow is saved, and at start-up). The handler
runs in the inbox transaction of the event, and a run is unique per (workflow, event id): a
redelivered event makes no second run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aio_pika.abc import AbstractRobustConnection

from libs.common import broker as topology
from libs.common.logging import get_logger
from libs.common.messages import Message
from libs.common.service import HandlerContext
from libs.common.settings import Settings
from services.workflows import repo
from services.workflows.deps import Workflows

log = get_logger(__name__)
TRIGGER_QUEUE = "workflows.triggers"
# bound from the start: the seeded workflows' triggers (others are bound when a workflow needs them)
STATIC_TYPES = ("chat.handoff.requested", "payment.completed")


async def on_trigger_event(event: Message, ctx: HandlerContext, wf: Workflows) -> None:
    envelope, conn = ctx.envelope, ctx.conn
    assert envelope is not None and conn is not None
    workflows = await conn.fetch(repo.EVENT_WORKFLOWS, envelope.type)
    if not workflows:
        return
    run_input: dict[str, Any] = {"event": {
        "type": envelope.type, "id": str(envelope.id), "occurred_at": envelope.occurred_at.isoformat(),
        "source": envelope.source, "session_id": envelope.session_id, "correlation_id": envelope.correlation_id,
        "data": event.model_dump(mode="json")}}
    now = wf.env.clock.now()
    for workflow in workflows:
        run_id = await repo.insert_run(conn, workflow, "event", str(envelope.id), run_input, envelope.occurred_at, now)
        log.info("workflow_triggered", workflow=workflow["name"], run_id=run_id, event_type=envelope.type)


class TriggerBindings:
    """Binds `workflows.triggers` to the event types enabled workflows listen to."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.names = topology.Names(settings)
        self._connection: AbstractRobustConnection | None = None
        self.bound: set[str] = set(STATIC_TYPES)

    async def sync(self, wf: Workflows) -> None:
        async with wf.pool.acquire() as conn:
            await self.bind(row["trigger_event"] for row in await conn.fetch(repo.TRIGGER_EVENTS))

    async def bind(self, types: Iterable[str | None]) -> None:
        missing = sorted({t for t in types if t} - self.bound)
        if not missing:
            return
        if self._connection is None:
            self._connection = await topology.connect(self.settings, name="workflows-bindings")
        channel = await self._connection.channel()
        try:
            await topology.declare_event_queue(channel, self.names, self.names.queue(TRIGGER_QUEUE), missing)
        finally:
            await channel.close()
        self.bound |= set(missing)
        log.info("workflow_triggers_bound", types=missing)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
