"""One contract, both backends (Postgres `app_files`, S3 via moto's server): what every FileStorage does."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from libs.storage import FileNotFound, FileStorage, StorageError


def fresh(name: str = "devis.pdf") -> str:
    return f"quotes/{uuid.uuid4()}/{name}"


async def test_put_then_get_returns_the_same_bytes_type_and_size(storage: FileStorage) -> None:
    key, data = fresh(), b"%PDF-1.4\n" + os.urandom(50_000) + b"\x00\xff%%EOF\n"
    stored = await storage.put(key, data, "application/pdf")
    assert (stored.key, stored.content_type, stored.size) == (key, "application/pdf", len(data))
    found = await storage.get(key)
    assert found.data == data
    assert (found.info.key, found.info.content_type, found.info.size) == (key, "application/pdf", len(data))
    assert found.info.updated_at is not None
    info = await storage.stat(key)
    assert info is not None and (info.content_type, info.size) == ("application/pdf", len(data))
    assert await storage.exists(key)


async def test_a_missing_key_is_not_found(storage: FileStorage) -> None:
    key = fresh()
    assert not await storage.exists(key)
    assert await storage.stat(key) is None
    with pytest.raises(FileNotFound, match="no stored file"):
        await storage.get(key)
    assert await storage.delete(key) is False


async def test_put_replaces_and_delete_removes(storage: FileStorage) -> None:
    key = fresh("logo.png")
    await storage.put(key, b"first", "text/plain; charset=utf-8")
    await storage.put(key, b"\x89PNG second", "image/png")
    found = await storage.get(key)
    assert (found.data, found.info.content_type, found.info.size) == (b"\x89PNG second", "image/png", 11)
    assert await storage.delete(key) is True
    assert not await storage.exists(key)
    with pytest.raises(FileNotFound):
        await storage.get(key)


async def test_an_empty_file_is_a_file(storage: FileStorage) -> None:
    key = fresh("empty.txt")
    await storage.put(key, b"", "text/plain")
    assert (await storage.get(key)).data == b""
    assert await storage.exists(key)


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../secret", "quotes/../../x", "quotes//x", "quotes/x/",
                                 ".hidden", "quotes/a b.pdf", "quotes/%2e%2e", "a" * 201, "é.pdf",
                                 "/".join("abcdefghij")])
async def test_keys_outside_the_grammar_are_refused_before_any_io(storage: FileStorage, key: str) -> None:
    for call in (storage.put(key, b"x", "text/plain"), storage.get(key), storage.exists(key), storage.delete(key)):
        with pytest.raises(StorageError, match="invalid storage key"):
            await call


async def test_bad_content_type_and_oversize_are_refused(storage: FileStorage) -> None:
    key = fresh()
    with pytest.raises(StorageError, match="invalid content type"):
        await storage.put(key, b"x", "pdf")
    with pytest.raises(StorageError, match="invalid content type"):
        await storage.put(key, b"x", "text/html\r\nX-Injected: 1")
    with pytest.raises(StorageError, match="file too large: 1000001 bytes"):
        await storage.put(key, b"x" * 1_000_001, "application/octet-stream")
    assert not await storage.exists(key)


async def test_concurrent_writers_of_distinct_keys_all_land(storage: FileStorage) -> None:
    keys = [fresh(f"{n}.bin") for n in range(12)]
    await asyncio.gather(*(storage.put(k, k.encode(), "application/octet-stream") for k in keys))
    found = await asyncio.gather(*(storage.get(k) for k in keys))
    assert [f.data for f in found] == [k.encode() for k in keys]


async def test_the_backend_answers_its_readiness_check(storage: FileStorage) -> None:
    await storage.check()
