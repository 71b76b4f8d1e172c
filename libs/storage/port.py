"""The storage port: where files (quote PDFs, later media) are kept, shared by every replica.

Keys are relative paths of short segments (`quotes/<id>.pdf`); each service writes under its own
prefix. Backends: Postgres (`app_files`, the default: works with the embedded database and on
Kubernetes without a volume) and any S3-compatible object store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from libs.common.errors import ComptoirError

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}(/[A-Za-z0-9][A-Za-z0-9._-]{0,199}){0,7}$")
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
                           r"(; ?[A-Za-z0-9_.-]+=[A-Za-z0-9_.\"-]+){0,3}$")


class StorageError(ComptoirError):
    """A file could not be stored or read (bad key, too large, backend refused)."""


class FileNotFound(StorageError):
    """No file under this key."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    content_type: str
    size: int
    updated_at: datetime | None = None


@dataclass(frozen=True)
class FileData:
    info: StoredFile
    data: bytes


class FileStorage(Protocol):
    """Async file storage. `writer` (the service a backend was opened for) is recorded with each file."""

    writer: str

    async def put(self, key: str, data: bytes, content_type: str) -> StoredFile:
        """Store `data` under `key`, replacing what was there (atomically: a reader sees the old or the new)."""

    async def get(self, key: str) -> FileData:
        """The file's bytes and metadata; raises FileNotFound."""

    async def stat(self, key: str) -> StoredFile | None:
        """The file's metadata without its bytes, None when there is none."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> bool:
        """Remove the file; False when there was none."""

    async def check(self) -> None:
        """Raise StorageError when the backend cannot be reached (readiness)."""

    async def close(self) -> None: ...


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key) or ".." in key:
        raise StorageError(f"invalid storage key: {key!r}")
    return key


def check_content_type(content_type: str) -> str:
    if not _CONTENT_TYPE.match(content_type):
        raise StorageError(f"invalid content type: {content_type!r}")
    return content_type


def check_size(data: bytes, max_bytes: int) -> int:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise StorageError("file data must be bytes")
    size = len(data)
    if size > max_bytes:
        raise StorageError(f"file too large: {size} bytes (COMPTOIR_STORAGE_MAX_BYTES is {max_bytes})")
    return size
