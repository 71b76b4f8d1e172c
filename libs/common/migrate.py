"""SQL migration runner.

Why our own and not yoyo-migrations: yoyo needs a synchronous driver (psycopg) beside asyncpg, keeps
no checksum of applied files, and has no notion of a migration that must run outside a transaction
(CREATE INDEX CONCURRENTLY). This runner is ~150 lines over asyncpg and does exactly what we need:

- records each applied file with its SHA-256 in `schema_migrations`;
- refuses to run when an applied file changed (or disappeared);
- holds a session advisory lock while migrating, so two replicas never migrate at once;
- runs each file in one transaction, except files whose first line is `-- migrate: no-transaction`,
  which are run statement by statement (CONCURRENTLY cannot run in a transaction block);
- does nothing when everything is applied.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from libs.common.db import Conn
from libs.common.errors import ComptoirError
from libs.common.settings import REPO_ROOT

MIGRATIONS_DIR = REPO_ROOT / "migrations"
ADVISORY_LOCK_ID = 0x636F6D70  # "comp"
NO_TRANSACTION_MARK = "-- migrate: no-transaction"
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
  version TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  duration_ms INTEGER NOT NULL
)"""
SELECT_APPLIED = "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
INSERT_APPLIED = (
    "INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)"
)


class MigrationError(ComptoirError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def transactional(self) -> bool:
        return not self.sql.lstrip().startswith(NO_TRANSACTION_MARK)


@dataclass(frozen=True)
class MigrationState:
    migration: Migration
    applied: bool
    applied_at: str | None


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must look like 001_name.sql: {path.name}")
        version = match.group(1)
        if version in found:
            other = found[version].name
            raise MigrationError(f"two migrations share version {version}: {other}, {path.name}")
        found[version] = Migration(version, path.stem, path, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def split_statements(sql: str) -> list[str]:
    """Split a no-transaction file on semicolons at line ends (such files hold simple DDL only)."""
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [stmt.strip() for stmt in re.split(r";\s*$", body, flags=re.M) if stmt.strip()]


async def _applied(conn: Conn) -> dict[str, asyncpg.Record]:
    await conn.execute(CREATE_TABLE)
    return {row["version"]: row for row in await conn.fetch(SELECT_APPLIED)}


def _verify(migrations: list[Migration], applied: dict[str, asyncpg.Record]) -> None:
    by_version = {m.version: m for m in migrations}
    for version, row in applied.items():
        current = by_version.get(version)
        if current is None:
            raise MigrationError(f"applied migration {row['name']} is missing from the migrations folder")
        if current.checksum != row["checksum"]:
            raise MigrationError(
                f"applied migration {row['name']} was changed after it ran (checksum mismatch); "
                "write a new migration instead of editing an applied one"
            )


async def _apply_one(conn: Conn, migration: Migration) -> None:
    started = time.perf_counter()
    try:
        if migration.transactional:
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(INSERT_APPLIED, migration.version, migration.name, migration.checksum,
                                   int((time.perf_counter() - started) * 1000))
            return
        for statement in split_statements(migration.sql):
            await conn.execute(statement)
        await conn.execute(INSERT_APPLIED, migration.version, migration.name, migration.checksum,
                           int((time.perf_counter() - started) * 1000))
    except asyncpg.PostgresError as exc:
        raise MigrationError(f"migration {migration.name} failed: {exc}") from exc


async def migrate(
    conn: Conn,
    directory: Path = MIGRATIONS_DIR,
    progress: Callable[[Migration], None] | None = None,
) -> list[Migration]:
    """Apply pending migrations; returns those applied (empty on a re-run)."""
    migrations = load_migrations(directory)
    # Poll instead of blocking in pg_advisory_lock: a session waiting there holds a snapshot that
    # the lock holder's CREATE INDEX CONCURRENTLY would wait for — a deadlock between replicas.
    while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK_ID):  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    try:
        applied = await _applied(conn)
        _verify(migrations, applied)
        done: list[Migration] = []
        for migration in migrations:
            if migration.version in applied:
                continue
            if progress is not None:
                progress(migration)
            await _apply_one(conn, migration)
            done.append(migration)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_ID)


async def status(conn: Conn, directory: Path = MIGRATIONS_DIR) -> list[MigrationState]:
    migrations = load_migrations(directory)
    applied = await _applied(conn)
    _verify(migrations, applied)
    return [
        MigrationState(m, m.version in applied,
                       applied[m.version]["applied_at"].isoformat() if m.version in applied else None)
        for m in migrations
    ]
