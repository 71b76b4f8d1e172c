"""Where billing keeps quote PDFs: the platform's storage port (libs/storage: Postgres `app_files` by
default, S3-compatible with COMPTOIR_STORAGE=s3), written as the `billing` service. Links go through
the gateway, which serves `/v1/files/<key>` through the same port: `BILLING_PUBLIC_FILES_URL`, or
`COMPTOIR_PUBLIC_URL` + `/v1/files` when it is unset."""

from __future__ import annotations

import asyncpg

from libs.common.settings import Settings
from libs.storage import FILES_PATH, FileStorage, StorageError, StorageSettings, check_key, open_storage
from services.billing.config import BillingSettings

WRITER = "billing"

__all__ = ["WRITER", "QuoteFiles", "StorageError", "files_base_url", "quote_files", "quote_pdf_key"]


class QuoteFiles:
    """Billing's view of the file store: put returns the link handed to the visitor."""

    def __init__(self, files: FileStorage, base_url: str) -> None:
        self.files = files
        self.base_url = base_url.rstrip("/")

    def url_for(self, key: str) -> str:
        return f"{self.base_url}/{check_key(key)}"

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        await self.files.put(key, data, content_type)
        return self.url_for(key)

    async def get(self, key: str) -> bytes:
        return (await self.files.get(key)).data

    async def close(self) -> None:
        await self.files.close()


def quote_pdf_key(quote_id: str) -> str:
    return f"quotes/{quote_id}.pdf"


def files_base_url(settings: Settings, cfg: BillingSettings) -> str:
    return cfg.public_files_url or settings.public_link(FILES_PATH)


def quote_files(settings: Settings, cfg: BillingSettings, pool: asyncpg.Pool,
                storage: StorageSettings | None = None) -> QuoteFiles:
    return QuoteFiles(open_storage(pool, WRITER, storage), files_base_url(settings, cfg))
