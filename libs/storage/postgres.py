"""The default storage backend: files in the `app_files` table (migration 044).

The platform library writes the table on behalf of the service it was opened for (`writer`); a key
written by one service cannot be replaced or deleted by another. Each put is one statement, so a
reader sees the old file or the new one, never half of either.
"""

from __future__ import annotations

import hashlib

import asyncpg

from libs.storage.port import (
    FileData,
    FileNotFound,
    StorageError,
    StoredFile,
    check_content_type,
    check_key,
    check_size,
)

PUT = """
INSERT INTO app_files (key, content_type, size, sha256, data, written_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (key) DO UPDATE
   SET content_type = EXCLUDED.content_type, size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
       data = EXCLUDED.data, updated_at = NOW()
 WHERE app_files.written_by = EXCLUDED.written_by
RETURNING updated_at
"""
GET = "SELECT content_type, size, data, updated_at FROM app_files WHERE key = $1"
STAT = "SELECT content_type, size, updated_at FROM app_files WHERE key = $1"
EXISTS = "SELECT EXISTS (SELECT 1 FROM app_files WHERE key = $1)"
DELETE = "DELETE FROM app_files WHERE key = $1 AND written_by = $2"
WRITER = "SELECT written_by FROM app_files WHERE key = $1"


class PostgresStorage:
    def __init__(self, pool: asyncpg.Pool, writer: str, max_bytes: int) -> None:
        self.pool = pool
        self.writer = writer
        self.max_bytes = max_bytes

    async def put(self, key: str, data: bytes, content_type: str) -> StoredFile:
        check_key(key)
        check_content_type(content_type)
        size = check_size(data, self.max_bytes)
        payload = bytes(data)
        updated = await self.pool.fetchval(PUT, key, content_type, size, hashlib.sha256(payload).hexdigest(),
                                           payload, self.writer)
        if updated is None:
            owner = await self.pool.fetchval(WRITER, key)
            raise StorageError(f"{key!r} belongs to {owner}; {self.writer} may not replace it")
        return StoredFile(key, content_type, size, updated)

    async def get(self, key: str) -> FileData:
        row = await self.pool.fetchrow(GET, check_key(key))
        if row is None:
            raise FileNotFound(f"no stored file {key!r}")
        return FileData(StoredFile(key, row["content_type"], row["size"], row["updated_at"]), bytes(row["data"]))

    async def stat(self, key: str) -> StoredFile | None:
        row = await self.pool.fetchrow(STAT, check_key(key))
        return None if row is None else StoredFile(key, row["content_type"], row["size"], row["updated_at"])

    async def exists(self, key: str) -> bool:
        return bool(await self.pool.fetchval(EXISTS, check_key(key)))

    async def delete(self, key: str) -> bool:
        status = await self.pool.execute(DELETE, check_key(key), self.writer)
        if status.endswith(" 1"):
            return True
        owner = await self.pool.fetchval(WRITER, key)
        if owner is not None:
            raise StorageError(f"{key!r} belongs to {owner}; {self.writer} may not delete it")
        return False

    async def check(self) -> None:
        try:
            await self.pool.fetchval("SELECT 1 FROM app_files LIMIT 1")
        except (OSError, asyncpg.PostgresError) as exc:
            raise StorageError(f"file storage (Postgres) unavailable: {exc}") from exc

    async def close(self) -> None:
        """The pool belongs to the caller."""
