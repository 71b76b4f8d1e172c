"""Both storage backends on real servers: the run's Postgres, and moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from moto.server import ThreadedMotoServer

from libs.common.db import create_pool
from libs.common.settings import Settings
from libs.storage import FileStorage, StorageSettings, open_storage
from libs.storage.s3 import make_client


@pytest.fixture(scope="module")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on a free port (it speaks the S3 protocol over HTTP)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_settings(endpoint: str, bucket: str, **extra: object) -> StorageSettings:
    values: dict[str, object] = {
        "storage": "s3", "s3_endpoint_url": endpoint, "s3_bucket": bucket, "s3_region": "eu-west-3",
        "s3_access_key_id": "test-key", "s3_secret_access_key": "test-secret", "s3_max_attempts": 1,
    }
    values.update(extra)
    return StorageSettings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def s3_bucket(s3_endpoint: str) -> str:
    bucket = f"comptoir-test-{uuid.uuid4().hex[:8]}"
    client = make_client(s3_settings(s3_endpoint, bucket))
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    client.close()
    return bucket


@pytest.fixture(params=["postgres", "s3"])
async def storage(request: pytest.FixtureRequest, pool: asyncpg.Pool, s3_endpoint: str,
                  s3_bucket: str) -> AsyncIterator[FileStorage]:
    if request.param == "postgres":
        cfg = StorageSettings(_env_file=None, storage="postgres", storage_max_bytes=1_000_000)
    else:
        cfg = s3_settings(s3_endpoint, s3_bucket, storage_max_bytes=1_000_000, s3_prefix="run/")
    backend = open_storage(pool, "billing", cfg)
    yield backend
    await backend.close()
