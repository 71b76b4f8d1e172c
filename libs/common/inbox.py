"""Consumer inbox: the processed-message row commits with the consumer's effects."""

from __future__ import annotations

import uuid

from libs.common.db import Conn

CLAIM = """
INSERT INTO app_inbox (consumer, message_id, message_type) VALUES ($1, $2, $3)
ON CONFLICT (consumer, message_id) DO NOTHING
RETURNING message_id
"""
PRUNE = "DELETE FROM app_inbox WHERE processed_at < NOW() - ($1 * INTERVAL '1 day')"


async def claim(conn: Conn, consumer: str, message_id: uuid.UUID, message_type: str) -> bool:
    """Record the message as processed by `consumer`; False when it already was.

    Call inside the transaction that applies the message's effects: if the transaction rolls
    back, the claim goes with it and a redelivery is processed again.
    """
    return await conn.fetchval(CLAIM, consumer, message_id, message_type) is not None


async def prune(conn: Conn, retention_days: int) -> int:
    status = await conn.execute(PRUNE, retention_days)
    return int(status.split()[-1])
