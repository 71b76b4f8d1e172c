"""Files behind one storage port (`FileStorage`), shared by every replica of every service.

`open_storage(settings, pool, writer)` picks the backend from `COMPTOIR_STORAGE`: `postgres` (the
default, table `app_files`) or `s3` (any S3-compatible store, `COMPTOIR_S3_*`). Links handed to
visitors go through the gateway (`GET /v1/files/<key>`), which reads through the same port:
`public_file_url(settings, key)`.
"""

from __future__ import annotations

import asyncpg

from libs.common.settings import Settings
from libs.storage.port import FileData, FileNotFound, FileStorage, StorageError, StoredFile, check_key
from libs.storage.settings import StorageSettings

FILES_PATH = "/v1/files"


def open_storage(pool: asyncpg.Pool, writer: str, cfg: StorageSettings | None = None) -> FileStorage:
    """The configured backend, opened for the service `writer` (recorded with each file it writes)."""
    cfg = cfg or StorageSettings()
    if cfg.storage == "s3":
        from libs.storage.s3 import S3Storage

        return S3Storage(cfg, writer)
    from libs.storage.postgres import PostgresStorage

    return PostgresStorage(pool, writer, cfg.storage_max_bytes)


def public_file_url(settings: Settings, key: str) -> str:
    """Where a browser fetches a stored file: the gateway's /v1/files under COMPTOIR_PUBLIC_URL."""
    return settings.public_link(f"{FILES_PATH}/{check_key(key)}")


__all__ = [
    "FILES_PATH",
    "FileData",
    "FileNotFound",
    "FileStorage",
    "StorageError",
    "StorageSettings",
    "StoredFile",
    "check_key",
    "open_storage",
    "public_file_url",
]
