"""What differs between the backends: selection by settings, ownership of keys, the S3 bucket."""

from __future__ import annotations

import re
import uuid

import asyncpg
import pytest
from pydantic import ValidationError

from libs.storage import StorageError, StorageSettings, open_storage
from libs.storage.postgres import PostgresStorage
from libs.storage.s3 import S3Storage
from tests.storage.conftest import s3_settings


def test_postgres_is_the_default_and_s3_is_chosen_by_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                                     s3_endpoint: str) -> None:
    for name in ("COMPTOIR_STORAGE", "COMPTOIR_S3_BUCKET", "COMPTOIR_S3_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(open_storage(None, "billing"), PostgresStorage)  # type: ignore[arg-type]
    monkeypatch.setenv("COMPTOIR_STORAGE", "s3")
    monkeypatch.setenv("COMPTOIR_S3_BUCKET", "shop-files")
    monkeypatch.setenv("COMPTOIR_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("COMPTOIR_S3_PREFIX", "comptoir/")
    backend = open_storage(None, "billing")  # type: ignore[arg-type]
    assert isinstance(backend, S3Storage)
    assert (backend.bucket, backend.prefix, backend.writer) == ("shop-files", "comptoir/", "billing")


@pytest.mark.parametrize(("values", "reason"), [
    ({"storage": "s3"}, "needs COMPTOIR_S3_BUCKET"),
    ({"storage": "s3", "s3_bucket": "b-1", "s3_access_key_id": "k"}, "set both"),
    ({"storage": "ftp"}, "'postgres' or 's3'"),
    ({"s3_prefix": "../x"}, "should match pattern"),
])
def test_bad_storage_settings_are_refused_with_a_reason(values: dict[str, object], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        StorageSettings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_postgres_keys_belong_to_the_service_that_wrote_them(pool: asyncpg.Pool) -> None:
    key = f"quotes/{uuid.uuid4()}.pdf"
    billing, other = PostgresStorage(pool, "billing", 1000), PostgresStorage(pool, "agents", 1000)
    await billing.put(key, b"%PDF billing", "application/pdf")
    with pytest.raises(StorageError, match="belongs to billing; agents may not replace it"):
        await other.put(key, b"%PDF forged", "application/pdf")
    with pytest.raises(StorageError, match="belongs to billing; agents may not delete it"):
        await other.delete(key)
    assert (await other.get(key)).data == b"%PDF billing"  # anyone reads
    row = await pool.fetchrow("SELECT written_by, size, sha256 FROM app_files WHERE key = $1", key)
    assert row is not None and (row["written_by"], row["size"]) == ("billing", 12) and len(row["sha256"]) == 64
    assert await billing.delete(key)


async def test_s3_objects_carry_their_writer_and_live_under_the_prefix(s3_endpoint: str, s3_bucket: str) -> None:
    backend = S3Storage(s3_settings(s3_endpoint, s3_bucket, s3_prefix="tenant-a/"), "billing")
    key = f"quotes/{uuid.uuid4()}.pdf"
    await backend.put(key, b"%PDF", "application/pdf")
    head = backend.client.head_object(Bucket=s3_bucket, Key=f"tenant-a/{key}")
    assert head["Metadata"] == {"written-by": "billing"} and head["ContentType"] == "application/pdf"
    elsewhere = S3Storage(s3_settings(s3_endpoint, s3_bucket, s3_prefix="tenant-b/"), "billing")
    assert not await elsewhere.exists(key)
    await backend.close()
    await elsewhere.close()


async def test_s3_without_its_bucket_fails_with_a_reason_not_a_traceback(s3_endpoint: str) -> None:
    backend = S3Storage(s3_settings(s3_endpoint, "no-such-bucket-here"), "billing")
    with pytest.raises(StorageError, match="S3 head_bucket 'no-such-bucket-here' failed"):
        await backend.check()
    with pytest.raises(StorageError, match=re.escape("S3 put_object 'quotes/a.pdf' failed: NoSuchBucket")):
        await backend.put("quotes/a.pdf", b"x", "application/pdf")
    await backend.close()


async def test_s3_unreachable_is_a_storage_error(unused_port: int) -> None:
    backend = S3Storage(s3_settings(f"http://127.0.0.1:{unused_port}", "bucket", s3_timeout_s=1.0), "billing")
    with pytest.raises(StorageError, match=re.escape("S3 get_object 'quotes/a.pdf' failed")):
        await backend.get("quotes/a.pdf")
    await backend.close()


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
