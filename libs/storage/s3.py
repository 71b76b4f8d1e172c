"""The S3-compatible storage backend (AWS S3, MinIO, Ceph, …), for production.

botocore signs each request (SigV4) and retries; its calls block, so each runs in a worker thread
(`asyncio.to_thread`), never on the event loop. The writing service is recorded as object metadata
(`x-amz-meta-written-by`). The bucket is not created here: it belongs to the deployment.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from libs.storage.port import (
    FileData,
    FileNotFound,
    StorageError,
    StoredFile,
    check_content_type,
    check_key,
    check_size,
)
from libs.storage.settings import StorageSettings

_MISSING = {"404", "NoSuchKey", "NotFound"}


def make_client(cfg: StorageSettings) -> Any:
    """A botocore S3 client for these settings (thread-safe; one per process is enough)."""
    session = botocore.session.get_session()
    config = Config(signature_version="s3v4", s3={"addressing_style": cfg.s3_addressing_style},
                    connect_timeout=cfg.s3_timeout_s, read_timeout=cfg.s3_timeout_s,
                    retries={"max_attempts": cfg.s3_max_attempts, "mode": "standard"})
    return session.create_client(
        "s3", region_name=cfg.s3_region, endpoint_url=cfg.s3_endpoint_url, config=config,
        aws_access_key_id=cfg.s3_access_key_id.get_secret_value() if cfg.s3_access_key_id else None,
        aws_secret_access_key=cfg.s3_secret_access_key.get_secret_value() if cfg.s3_secret_access_key else None)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Storage:
    def __init__(self, cfg: StorageSettings, writer: str, client: Any | None = None) -> None:
        if not cfg.s3_bucket:
            raise StorageError("COMPTOIR_STORAGE=s3 needs COMPTOIR_S3_BUCKET")
        self.bucket = cfg.s3_bucket
        self.prefix = cfg.s3_prefix
        self.writer = writer
        self.max_bytes = cfg.storage_max_bytes
        self.client = client if client is not None else make_client(cfg)

    def _object(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def _call(self, what: str, key: str, **kwargs: Any) -> Any:
        method = getattr(self.client, what)
        try:
            return await asyncio.to_thread(method, Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if _code(exc) in _MISSING and what != "head_bucket":
                raise FileNotFound(f"no stored file {key!r}") from exc
            raise StorageError(f"S3 {what} {key or self.bucket!r} failed: {_code(exc) or exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 {what} {key or self.bucket!r} failed: {exc}") from exc

    async def put(self, key: str, data: bytes, content_type: str) -> StoredFile:
        name = self._object(key)
        check_content_type(content_type)
        size = check_size(data, self.max_bytes)
        await self._call("put_object", key, Key=name, Body=bytes(data), ContentType=content_type,
                         Metadata={"written-by": self.writer})
        return StoredFile(key, content_type, size, None)

    async def get(self, key: str) -> FileData:
        name = self._object(key)
        answer = await self._call("get_object", key, Key=name)
        try:
            data: bytes = await asyncio.to_thread(answer["Body"].read)
        except BotoCoreError as exc:
            raise StorageError(f"S3 get_object {key!r} failed while reading: {exc}") from exc
        finally:
            answer["Body"].close()
        return FileData(self._info(key, answer, len(data)), data)

    async def stat(self, key: str) -> StoredFile | None:
        try:
            answer = await self._call("head_object", key, Key=self._object(key))
        except FileNotFound:
            return None
        return self._info(key, answer, int(answer.get("ContentLength", 0)))

    async def exists(self, key: str) -> bool:
        return await self.stat(key) is not None

    async def delete(self, key: str) -> bool:
        if not await self.exists(key):
            return False
        await self._call("delete_object", key, Key=self._object(key))
        return True

    async def check(self) -> None:
        await self._call("head_bucket", "")

    async def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            await asyncio.to_thread(close)

    @staticmethod
    def _info(key: str, answer: dict[str, Any], size: int) -> StoredFile:
        modified = answer.get("LastModified")
        return StoredFile(key, str(answer.get("ContentType") or "application/octet-stream"), size,
                          modified if isinstance(modified, datetime) else None)
