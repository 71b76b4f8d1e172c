"""asyncpg pool factory: pgvector registered on every connection, statement timeout, clear errors."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy
from pgvector.asyncpg import register_vector

from libs.common.embedded_pg import embedded_dsn
from libs.common.errors import ConfigurationError
from libs.common.settings import Settings

Pool = asyncpg.Pool
# A connection as handlers see it: a plain connection or one borrowed from a pool.
if TYPE_CHECKING:
    Conn: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Conn = asyncpg.Connection | PoolConnectionProxy


def resolve_dsn(settings: Settings) -> str:
    """DATABASE_URL when set, otherwise the embedded server's DSN (started on demand)."""
    if settings.database_url is not None and settings.database_url.get_secret_value():
        return settings.database_url.get_secret_value()
    return embedded_dsn(settings.data_dir)


def describe_dsn(dsn: str) -> str:
    """The DSN without its password, for error messages and logs."""
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.username or ''}@{host}{port}{parts.path}"


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


async def init_connection(conn: asyncpg.Connection) -> None:
    # orjson: the chat history travels as jsonb on every turn; the stdlib codec was a visible cost
    await conn.set_type_codec("jsonb", encoder=_json_text, decoder=orjson.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=_json_text, decoder=orjson.loads, schema="pg_catalog")
    # ValueError: the vector extension does not exist yet (before the first migration)
    with contextlib.suppress(ValueError):
        await register_vector(conn)


class PooledConnection(asyncpg.Connection):
    """A pool connection that skips asyncpg's reset query on release.

    asyncpg sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` every time a connection
    goes back to the pool: one more round trip and statement per acquire, on every request of every
    service. Our code keeps no per-request session state on a pooled connection — settings only with
    `SET LOCAL` or `set_config(..., true)`, cursors inside transactions, and a holder of LISTEN or a
    session advisory lock (the outbox relay) undoes it before releasing. asyncpg still rolls back a
    transaction left open and drops client-side listeners.

    The one exception is `ensure_settings`: session settings that are right for every user of the
    connection (the HNSW search options of the knowledge search), set once and remembered here, so
    a hot query needs no transaction around a `SET LOCAL`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shared_settings: dict[str, str] = {}

    def get_reset_query(self) -> str:
        return ""

    async def ensure_settings(self, settings: dict[str, str]) -> None:
        """Set these session settings unless this connection already has them (one round trip)."""
        missing = [(name, value) for name, value in settings.items() if self.shared_settings.get(name) != value]
        if not missing:
            return
        calls = ", ".join(f"set_config(${2 * i + 1}, ${2 * i + 2}, false)" for i in range(len(missing)))
        await self.execute(f"SELECT {calls}", *[item for pair in missing for item in pair])
        self.shared_settings.update(missing)


# what asyncpg raises when the server is away: its connection errors, the server's shutdown / start-up
# refusals (SQLSTATE 57P0x), the socket's own errors (refused, reset, a Unix socket file gone), and
# InternalClientError: a pooled connection handed out while still consuming the error the server sent
# as it shut down (released without a reset query, see PooledConnection) — seen only during restarts
_GONE = (asyncpg.exceptions.PostgresConnectionError, asyncpg.exceptions.InterfaceError,
         asyncpg.exceptions.OperatorInterventionError, asyncpg.exceptions.InternalClientError)


def database_gone(exc: BaseException) -> bool:
    """True when `exc` says the database could not be reached or went away (retry later), not a bug."""
    if isinstance(exc, _GONE):
        return True
    if isinstance(exc, OSError | TimeoutError):  # only when raised from asyncpg (connecting, reading)
        tb = exc.__traceback__
        while tb is not None:
            if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg"):
                return True
            tb = tb.tb_next
    return False


async def create_pool(settings: Settings, dsn: str | None = None, **overrides: Any) -> asyncpg.Pool:
    dsn = dsn or resolve_dsn(settings)
    options: dict[str, Any] = {
        "min_size": settings.db_pool_min,
        "max_size": settings.db_pool_max,
        "init": init_connection,
        "connection_class": PooledConnection,
        "timeout": settings.db_connect_timeout_s,
        "server_settings": {
            "statement_timeout": str(settings.db_statement_timeout_ms),
            "application_name": "comptoir",
        },
    }
    options.update(overrides)
    try:
        pool = await asyncpg.create_pool(dsn, **options)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ConfigurationError(f"cannot connect to database {describe_dsn(dsn)}: {exc}") from exc
    assert pool is not None
    return pool


async def connect(settings: Settings, dsn: str | None = None) -> asyncpg.Connection:
    dsn = dsn or resolve_dsn(settings)
    try:
        conn: asyncpg.Connection = await asyncpg.connect(dsn, timeout=settings.db_connect_timeout_s)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ConfigurationError(f"cannot connect to database {describe_dsn(dsn)}: {exc}") from exc
    await init_connection(conn)
    return conn
