"""Where quote PDFs are kept: a port with a local-folder implementation (the default)."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from libs.common.errors import ComptoirError
from libs.common.settings import Settings
from services.billing.config import BillingSettings

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}(/[A-Za-z0-9][A-Za-z0-9._-]{0,199}){0,3}$")


class StorageError(ComptoirError):
    pass


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> str:
        """Store `data` under `key`; returns the URL to hand out."""

    async def get(self, key: str) -> bytes: ...

    def local_path(self, key: str) -> Path | None:
        """A filesystem path for the object when there is one (the CLI prints it)."""


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise StorageError(f"invalid storage key: {key!r}")
    return key


class LocalStorage:
    """Files under one root; written atomically (temp file + rename) so a reader never sees half a PDF."""

    def __init__(self, root: Path, public_url: str | None = None) -> None:
        self.root = root
        self.public_url = public_url.rstrip("/") if public_url else None

    def local_path(self, key: str) -> Path:
        return self.root / check_key(key)

    def url_for(self, key: str) -> str:
        if self.public_url:
            return f"{self.public_url}/{check_key(key)}"
        return self.local_path(key).resolve().as_uri()

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        await asyncio.to_thread(self._write, self.local_path(key), data)
        return self.url_for(key)

    async def get(self, key: str) -> bytes:
        path = self.local_path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise StorageError(f"no stored object {key!r}") from exc

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def quote_pdf_key(quote_id: str) -> str:
    return f"quotes/{quote_id}.pdf"


def local_storage(settings: Settings, cfg: BillingSettings) -> LocalStorage:
    """The billing service's file store (BILLING_STORAGE_DIR, else `<data dir>/files`): billing
    writes quote PDFs there, the gateway serves them under `BILLING_PUBLIC_FILES_URL`."""
    return LocalStorage(cfg.storage_dir or settings.data_dir / "files", cfg.public_files_url)
