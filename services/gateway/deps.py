"""What a request handler gets: the gateway's resources, made once at start-up (see app.lifespan)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from aio_pika.abc import AbstractRobustConnection
from fastapi import Depends, Request

from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from libs.storage import FileStorage
from libs.webhooks import WebhookSettings
from services.gateway.config import GatewaySettings
from services.gateway.console.live import LiveHub
from services.gateway.metrics import GatewayMetrics
from services.gateway.streams import StreamRouter


@dataclass
class Gateway:
    settings: Settings
    config: GatewaySettings
    pool: asyncpg.Pool
    rpc: RpcClient
    streams: StreamRouter
    connection: AbstractRobustConnection
    metrics: GatewayMetrics
    files: FileStorage  # the platform's file store (libs/storage): reads files, writes console uploads (uploads/)
    webhooks: WebhookSettings  # only the webhook secrets, never billing's settings
    secret: str  # Settings.secret() read once: it may live in a file
    live: LiveHub | None = None  # console and widget live events (console/live.py)


async def get_gateway(request: Request) -> Gateway:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a thread hop per request
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def client_ip(request: Request, trust_forwarded_for: bool) -> str | None:
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first[:100]
    return request.client.host if request.client else None
