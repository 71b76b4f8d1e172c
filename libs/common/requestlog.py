"""Request log: exactly-once effects for requests that write (table `app_request_log`, migration 047).

The request id is the envelope id (AMQP `message_id`): the same across a broker redelivery and
across a client's retry when the caller passes a stable id (the gateway's `Idempotency-Key`).

1. `begin` claims the id before the handler runs: a new row `running` with a lease and this run's
   token, or the stored reply of a run that completed, or `Busy` while another run holds the lease.
   A run whose lease expired, or any run when the broker redelivers the message (its consumer went
   away), is taken over: the row gets the new run's token.
2. `finish` marks the row `done` with the reply **inside the transaction of the effect**, and only
   if this run still holds the token; otherwise the caller rolls its effect back. So an effect
   commits exactly once, together with the reply a retry will get.
3. `abandon` deletes a failed run's row (its transaction rolled back: nothing happened), so a
   retry runs again.

`prune` is for the maintenance job: completed rows older than the retention, and abandoned ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from libs.common.db import Conn

CLAIM = """
INSERT INTO app_request_log (service, request_id, request_type, token, lease_until)
VALUES ($1, $2, $3, $4, NOW() + ($5 * INTERVAL '1 second'))
ON CONFLICT (service, request_id) DO NOTHING
RETURNING token
"""
READ = """
SELECT status, token, reply, lease_until < NOW() AS expired
FROM app_request_log WHERE service = $1 AND request_id = $2
"""
TAKE_OVER = """
UPDATE app_request_log SET token = $4, lease_until = NOW() + ($5 * INTERVAL '1 second')
WHERE service = $1 AND request_id = $2 AND token = $3 AND status = 'running'
RETURNING token
"""
FINISH = """
UPDATE app_request_log SET status = 'done', reply = $4, completed_at = NOW()
WHERE service = $1 AND request_id = $2 AND token = $3 AND status = 'running'
"""
ABANDON = "DELETE FROM app_request_log WHERE service = $1 AND request_id = $2 AND token = $3 AND status = 'running'"
PRUNE = """
DELETE FROM app_request_log
WHERE (status = 'done' AND created_at < NOW() - ($1 * INTERVAL '1 day'))
   OR (status = 'running' AND lease_until < NOW() - INTERVAL '1 day')
"""


@dataclass(frozen=True)
class Run:
    """This run holds the request id: act, then `finish` in the effect's transaction."""

    token: uuid.UUID


@dataclass(frozen=True)
class Done:
    """The request was handled before: send its stored reply again."""

    reply: dict[str, Any]


@dataclass(frozen=True)
class Busy:
    """Another run holds the request id and its lease has not expired."""


Claim = Run | Done | Busy


async def begin(pool: asyncpg.Pool | Conn, service: str, request_id: uuid.UUID, request_type: str, *,
                lease_s: float, redelivered: bool = False) -> Claim:
    token = uuid.uuid4()
    for _ in range(3):  # a concurrent run may finish or abandon between our reads: look again
        if await pool.fetchval(CLAIM, service, request_id, request_type, token, lease_s) is not None:
            return Run(token)
        row = await pool.fetchrow(READ, service, request_id)
        if row is None:
            continue  # abandoned meanwhile
        if row["status"] == "done":
            return Done(dict(row["reply"] or {}))
        if not (redelivered or row["expired"]):
            return Busy()
        taken = await pool.fetchval(TAKE_OVER, service, request_id, row["token"], token, lease_s)
        if taken is not None:
            return Run(token)
    return Busy()


async def finish(conn: Conn, service: str, request_id: uuid.UUID, token: uuid.UUID,
                 reply: dict[str, Any]) -> bool:
    """Mark the request done with its reply; False when this run no longer holds it (roll back)."""
    status = await conn.execute(FINISH, service, request_id, token, reply)
    return not status.endswith(" 0")


async def abandon(pool: asyncpg.Pool | Conn, service: str, request_id: uuid.UUID, token: uuid.UUID) -> None:
    await pool.execute(ABANDON, service, request_id, token)


async def stored(pool: asyncpg.Pool | Conn, service: str, request_id: uuid.UUID) -> Done | Busy | None:
    row = await pool.fetchrow(READ, service, request_id)
    if row is None:
        return None
    return Done(dict(row["reply"] or {})) if row["status"] == "done" else Busy()


async def prune(conn: asyncpg.Pool | Conn, retention_days: int) -> int:
    """Delete completed requests older than `retention_days` and long-abandoned runs; returns the count.

    Keep the retention above the longest time a client may retry a request (days, not minutes)."""
    status = await conn.execute(PRUNE, retention_days)
    return int(status.split()[-1])
