"""The social publisher when a replica dies mid-publish, when two replicas race, and without settings.

A replica is killed while its Facebook write is in flight (the Graph server already created the post):
the row says so (`in_flight_since`), and the next replica, once the lease expired, finds the post by
looking it up instead of posting again. Two publishers draining the same queue publish each post once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr

from libs.common.settings import Settings
from services.workflows import social_repo as repo
from services.workflows.graph import GraphClient, GraphSettings
from services.workflows.social_publish import SocialPublisher
from tests.conftest import make_settings
from tests.fakes.graph_server import FakeGraphServer


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphServer]:
    async with FakeGraphServer() as server:
        yield server


def graph_settings(graph: FakeGraphServer, **extra: Any) -> GraphSettings:
    values: dict[str, Any] = {"graph_base_url": graph.base_url, "page_id": graph.page_id,
                              "instagram_user_id": graph.ig_user_id, "page_access_token": SecretStr(graph.token),
                              "retry_base_ms": 5, "retry_max_ms": 20, "timeout_s": 5.0, "lease_s": 30.0}
    values.update(extra)
    return GraphSettings(_env_file=None, **values)


async def approved(pool: asyncpg.Pool, content: str, platforms: list[str] | None = None) -> uuid.UUID:
    async with pool.acquire() as conn:
        row = await repo.insert(conn, content=content, media_url=None, media_type=None,
                                platforms=platforms or ["facebook"], status="approved", approved_by="test",
                                metadata={"results": {}}, scheduled_at=None, source_kind="owner", source_id=None)
    post_id: uuid.UUID = row["id"]
    return post_id


async def publish_until_idle(publisher: SocialPublisher) -> int:
    done = 0
    while await publisher.publish_next():
        done += 1
    return done


async def test_a_replica_killed_mid_write_leaves_the_post_in_flight_and_the_next_looks_it_up(
        settings: Settings, pool: asyncpg.Pool, graph: FakeGraphServer) -> None:
    text = f"Coupure {uuid.uuid4().hex[:6]}"
    post_id = await approved(pool, text)
    graph.delay_next("feed", 1.0)  # the server creates the post, then holds its answer
    cfg = graph_settings(graph)
    first = SocialPublisher(settings, pool, cfg, GraphClient(cfg))
    task = asyncio.create_task(first.publish_next())

    async def write_received() -> bool:
        return any(w.get("message") == text for w in graph.writes("feed"))
    for _ in range(200):
        if await write_received():
            break
        await asyncio.sleep(0.02)
    task.cancel()  # the replica dies here, its write in flight
    with pytest.raises(asyncio.CancelledError):
        await task
    await first.client.aclose()
    row = await repo.fetch(pool, post_id)
    assert row is not None and row["status"] == "approved"
    in_flight = repo.to_post(row).results["facebook"]
    assert in_flight.in_flight_since is not None and in_flight.post_id is None  # the crash point

    await pool.execute("UPDATE app_social_publication_queue SET publish_lease_until = NOW() - INTERVAL '1 second' "
                       "WHERE id = $1", post_id)  # its lease runs out
    second = SocialPublisher(settings, pool, cfg, GraphClient(cfg))
    try:
        await publish_until_idle(second)
    finally:
        await second.client.aclose()
    row = await repo.fetch(pool, post_id)
    assert row is not None
    post = repo.to_post(row)
    assert post.status == "published", post.error_message
    [on_page] = [p for p in graph.posts() if p.fields.get("message") == text]
    assert post.results["facebook"].post_id == on_page.id and post.results["facebook"].found_by_lookup
    assert len([w for w in graph.writes("feed") if w.get("message") == text]) == 1  # never sent again


async def test_two_publishers_publish_each_post_once(settings: Settings, pool: asyncpg.Pool,
                                                     graph: FakeGraphServer) -> None:
    tag = uuid.uuid4().hex[:6]
    texts = [f"Course {tag} {i}" for i in range(6)]
    ids = [await approved(pool, text) for text in texts]
    cfg = graph_settings(graph)
    publishers = [SocialPublisher(settings, pool, cfg, GraphClient(cfg)) for _ in range(2)]
    try:
        counts = await asyncio.gather(*(publish_until_idle(p) for p in publishers))
    finally:
        for p in publishers:
            await p.client.aclose()
    assert sum(counts) >= len(texts)
    for text in texts:
        assert len([w for w in graph.writes("feed") if w.get("message") == text]) == 1, text
    statuses = {r["status"] for r in await pool.fetch(
        "SELECT status FROM app_social_publication_queue WHERE id = ANY($1::uuid[])", ids)}
    assert statuses == {"published"}


async def test_missing_settings_fail_the_platform_with_a_reason_and_production_refuses_to_start(
        settings: Settings, pool: asyncpg.Pool, graph: FakeGraphServer) -> None:
    text = f"Sans compte Instagram {uuid.uuid4().hex[:6]}"
    post_id = await approved(pool, text, ["facebook", "instagram"])
    cfg = graph_settings(graph, instagram_user_id=None)
    publisher = SocialPublisher(settings, pool, cfg, GraphClient(cfg))
    try:
        await publish_until_idle(publisher)
    finally:
        await publisher.client.aclose()
    row = await repo.fetch(pool, post_id)
    assert row is not None
    post = repo.to_post(row)
    assert post.status == "failed" and post.results["facebook"].status == "published"  # its id kept
    assert post.error_message is not None and "SOCIAL_INSTAGRAM_USER_ID" in post.error_message

    assert settings.database_url is not None
    production = make_settings(settings.database_url.get_secret_value(), "amqp://shop:s3cret@127.0.0.1:5672/",
                               settings.data_dir, "prod.", COMPTOIR_ENV="production",
                               COMPTOIR_SECRET_KEY="x" * 40, GATEWAY_ADMIN_TOKEN="y" * 40)
    warning = GraphSettings(_env_file=None).startup_warning(production)
    assert warning is not None and "SOCIAL_PAGE_ACCESS_TOKEN" in warning and "SOCIAL_PAGE_ID" in warning
    assert GraphSettings(_env_file=None, publishing_disabled=True).startup_warning(production) is None
    assert GraphSettings(_env_file=None).startup_warning(settings) is None  # not in production
    assert "disabled" in (GraphSettings(_env_file=None, publishing_disabled=True).missing_for("facebook") or "")
