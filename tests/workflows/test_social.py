"""The social publication queue against real Postgres and RabbitMQ and a local Graph API server.

Each test drives the queue over the broker (`social.*` requests) as agents, workflows and the owner do,
and checks what reached the fake Graph API: once per platform, after approval when the flag asks for
it, with rate limits retried, an expired token failing with its reason, and lost answers looked up.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr

from libs.common import metrics
from libs.common.errors import RemoteError
from libs.common.events.social import (
    ApproveSocialPost,
    EnqueueSocialPost,
    GetSocialPost,
    ListSocialPosts,
    RejectSocialPost,
    SocialPost,
    SocialPostList,
    SocialPostReply,
)
from libs.common.rpc import RpcClient
from libs.common.service import ServiceApp
from libs.common.settings import Settings
from libs.storage import open_storage
from services.workflows.graph import GraphSettings
from services.workflows.social import SocialRuntime, register
from tests.conftest import eventually, with_fresh_prefix
from tests.fakes.graph_server import FakeGraphServer

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 2000


@dataclass
class Queue:
    rpc: RpcClient
    graph: FakeGraphServer
    pool: asyncpg.Pool
    runtime: SocialRuntime
    settings: Settings

    async def enqueue(self, request_id: uuid.UUID | None = None, **fields: Any) -> SocialPost:
        body = EnqueueSocialPost(**{"platforms": ["facebook"], "source_kind": "owner", **fields})
        reply = await self.rpc.request("social.enqueue", body, SocialPostReply, request_id=request_id)
        return reply.post

    async def get(self, post_id: str) -> SocialPost:
        return (await self.rpc.request("social.get", GetSocialPost(id=post_id), SocialPostReply)).post

    async def settled(self, post_id: str, timeout: float = 15.0) -> SocialPost:
        async def probe() -> SocialPost | None:
            post = await self.get(post_id)
            return post if post.status in ("published", "failed") else None
        return await eventually(probe, timeout=timeout)


async def set_approval(pool: asyncpg.Pool, required: bool) -> None:
    await pool.execute("UPDATE app_runtime_state SET value = $1::jsonb WHERE key = 'socialApprovalRequired'",
                       required)


@pytest.fixture(scope="module")
async def queue(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Queue]:
    svc_settings = with_fresh_prefix(settings)
    async with FakeGraphServer() as graph:
        cfg = GraphSettings(graph_base_url=graph.base_url, page_id=graph.page_id,
                            instagram_user_id=graph.ig_user_id, page_access_token=SecretStr(graph.token),
                            retry_base_ms=5, retry_max_ms=50, poll_interval_s=0.3, container_poll_s=0.01,
                            timeout_s=1.0, instagram_image_max_bytes=100_000)
        svc: ServiceApp[None] = ServiceApp("workflows")
        runtime = register(svc)
        async with svc.running(svc_settings, pool, deps={"social_settings": cfg}), \
                RpcClient(svc_settings, source="test") as rpc:
            yield Queue(rpc, graph, pool, runtime, svc_settings)
    await set_approval(pool, True)


async def test_with_approval_required_nothing_goes_out_before_the_owner_approves(queue: Queue) -> None:
    await set_approval(queue.pool, True)
    text = f"Nouveautés de la semaine {uuid.uuid4().hex[:6]}"
    post = await queue.enqueue(content=text, source_kind="agent", source_id="call-1")
    assert post.status == "pending" and post.approved_by is None
    await asyncio.sleep(0.8)  # more than two publisher polls
    assert not [p for p in queue.graph.posts() if p.fields.get("message") == text]
    assert (await queue.get(post.id)).status == "pending"

    approved = (await queue.rpc.request("social.approve", ApproveSocialPost(id=post.id, approved_by="lea"),
                                        SocialPostReply)).post
    assert approved.status == "approved" and approved.approved_by == "lea" and approved.approved_at
    done = await queue.settled(post.id)
    assert done.status == "published", done.error_message
    [on_page] = [p for p in queue.graph.posts() if p.fields.get("message") == text]
    assert done.results["facebook"].post_id == on_page.id
    assert done.results["facebook"].attempts == 1 and done.published_at
    assert done.source_kind == "agent" and done.source_id == "call-1"


async def test_with_the_flag_off_a_stored_photo_goes_to_both_platforms_at_once(queue: Queue) -> None:
    def published(platform: str) -> float:
        return metrics.REGISTRY.get_sample_value("comptoir_social_posts_total",
                                                 {"platform": platform, "status": "published"}) or 0.0

    before = {platform: published(platform) for platform in ("facebook", "instagram")}
    await set_approval(queue.pool, False)
    try:
        storage = open_storage(queue.pool, "workflows")
        key = f"social/{uuid.uuid4().hex}.jpg"
        await storage.put(key, JPEG, "image/jpeg")
        text = f"Photo du jour {uuid.uuid4().hex[:6]}"
        post = await queue.enqueue(content=text, platforms=["facebook", "instagram"], media_url=f"files:{key}",
                                   source_kind="workflow", source_id="run-1")
        assert post.status == "approved" and post.approved_by == "auto" and post.media_type == "image"
        done = await queue.settled(post.id)
    finally:
        await set_approval(queue.pool, True)
    assert done.status == "published", done.error_message
    [photo] = [p for p in queue.graph.objects.values() if p.kind == "photo" and p.fields["message"] == text]
    assert photo.fields["url"].endswith(f"/v1/files/{key}")  # Graph fetches it from the gateway
    [media] = [m for m in queue.graph.ig_media() if m.fields["caption"] == text]
    assert done.results["instagram"].post_id == media.id
    assert done.results["instagram"].container_id
    assert done.results["facebook"].post_id == photo.fields["post_id"]
    # counted once finished (other tests' posts may finish meanwhile in this process)
    assert all(published(platform) >= count + 1 for platform, count in before.items())


async def test_bad_posts_are_refused_with_a_reason(queue: Queue) -> None:
    with pytest.raises(RemoteError) as err:
        await queue.enqueue(content="Sans image", platforms=["instagram"])
    assert err.value.code == "invalid_post" and "Instagram" in err.value.message
    storage = open_storage(queue.pool, "workflows")
    big = f"social/{uuid.uuid4().hex}.jpg"
    await storage.put(big, b"\xff\xd8" + b"1" * 200_000, "image/jpeg")
    with pytest.raises(RemoteError) as err:
        await queue.enqueue(content="Trop lourde", platforms=["instagram"], media_url=f"files:{big}")
    assert err.value.code == "invalid_post" and "over Instagram's limit" in err.value.message
    png = f"social/{uuid.uuid4().hex}.png"
    await storage.put(png, b"\x89PNG" + b"1" * 100, "image/png")
    with pytest.raises(RemoteError) as err:
        await queue.enqueue(content="PNG", platforms=["instagram"], media_url=f"files:{png}")
    assert "JPEG" in err.value.message
    with pytest.raises(RemoteError) as err:
        await queue.enqueue(content="x", media_url="files:social/absent.jpg")
    assert err.value.code == "invalid_post" and "no stored file" in err.value.message
    with pytest.raises(RemoteError) as err:
        await queue.enqueue(content="x", scheduled_at="lundi prochain")
    assert err.value.code == "invalid_post"


async def test_the_same_request_id_queues_one_post(queue: Queue) -> None:
    rid = uuid.uuid4()
    first = await queue.enqueue(request_id=rid, content=f"Une fois {rid.hex[:6]}")
    again = await queue.enqueue(request_id=rid, content=f"Une fois {rid.hex[:6]}")
    assert first.id == again.id
    listed = await queue.rpc.request("social.list", ListSocialPosts(status="pending", limit=500), SocialPostList)
    assert [p.id for p in listed.posts].count(first.id) == 1


async def test_reject_keeps_the_reason_and_a_decided_post_cannot_be_decided_again(queue: Queue) -> None:
    await set_approval(queue.pool, True)
    post = await queue.enqueue(content=f"À refuser {uuid.uuid4().hex[:6]}")
    rejected = (await queue.rpc.request("social.reject", RejectSocialPost(id=post.id, reason="Ton trop familier"),
                                        SocialPostReply)).post
    assert rejected.status == "rejected" and rejected.error_message == "Ton trop familier"
    with pytest.raises(RemoteError) as err:
        await queue.rpc.request("social.approve", ApproveSocialPost(id=post.id), SocialPostReply)
    assert err.value.code == "invalid_state"
    with pytest.raises(RemoteError) as err:
        await queue.rpc.request("social.get", GetSocialPost(id=str(uuid.uuid4())), SocialPostReply)
    assert err.value.code == "not_found"


async def approved_post(queue: Queue, **fields: Any) -> SocialPost:
    await set_approval(queue.pool, False)
    try:
        return await queue.enqueue(**fields)
    finally:
        await set_approval(queue.pool, True)


async def test_rate_limits_are_retried_with_backoff(queue: Queue) -> None:
    text = f"Limite {uuid.uuid4().hex[:6]}"
    queue.graph.fail_next("feed", code=4)
    queue.graph.fail_next("feed", code=613)
    post = await approved_post(queue, content=text)
    done = await queue.settled(post.id)
    assert done.status == "published", done.error_message
    assert len([w for w in queue.graph.writes("feed") if w.get("message") == text]) == 3
    assert len([p for p in queue.graph.posts() if p.fields.get("message") == text]) == 1
    assert done.results["facebook"].attempts == 3


async def test_an_expired_token_fails_the_post_with_a_clear_reason(queue: Queue) -> None:
    queue.graph.fail_next("feed", code=190)
    post = await approved_post(queue, content=f"Jeton {uuid.uuid4().hex[:6]}")
    done = await queue.settled(post.id)
    assert done.status == "failed"
    assert done.error_message is not None and "code 190" in done.error_message
    assert "SOCIAL_PAGE_ACCESS_TOKEN" in done.error_message
    assert done.results["facebook"].attempts == 1  # never retried


async def test_a_lost_answer_is_looked_up_not_sent_again(queue: Queue) -> None:
    storage = open_storage(queue.pool, "workflows")
    key = f"social/{uuid.uuid4().hex}.jpg"
    await storage.put(key, JPEG, "image/jpeg")
    text = f"Perdu {uuid.uuid4().hex[:6]}"
    queue.graph.lose_next("feed")  # created, then a 500
    post = await approved_post(queue, content=text)
    done = await queue.settled(post.id)
    assert done.status == "published", done.error_message
    assert len([w for w in queue.graph.writes("feed") if w.get("message") == text]) == 1
    assert done.results["facebook"].found_by_lookup

    queue.graph.delay_next("media_publish", 1.5)  # published, answered after the client's time-out
    caption = f"Perdu IG {uuid.uuid4().hex[:6]}"
    post = await approved_post(queue, content=caption, platforms=["instagram"], media_url=f"files:{key}")
    done = await queue.settled(post.id)
    assert done.status == "published", done.error_message
    [media] = [m for m in queue.graph.ig_media() if m.fields["caption"] == caption]
    assert done.results["instagram"].post_id == media.id and done.results["instagram"].found_by_lookup
    assert len([w for w in queue.graph.writes("media_publish")
                if w["creation_id"] == done.results["instagram"].container_id]) == 1


async def test_a_scheduled_post_waits_for_its_time(queue: Queue) -> None:
    text = f"Plus tard {uuid.uuid4().hex[:6]}"
    when = datetime.now(UTC) + timedelta(seconds=1.5)
    post = await approved_post(queue, content=text, scheduled_at=when.isoformat())
    assert post.scheduled_at is not None
    await asyncio.sleep(0.7)
    assert (await queue.get(post.id)).status == "approved"
    done = await queue.settled(post.id)
    assert done.status == "published" and done.published_at is not None
    assert datetime.fromisoformat(done.published_at) >= when


def step_call(queue: Queue, settings: Settings, config: Any, key: str) -> Any:
    from types import SimpleNamespace

    from services.workflows.steps.base import StepCall

    env = SimpleNamespace(rpc=queue.rpc, settings=settings)
    return StepCall(run_id=str(uuid.uuid4()), workflow="promo", step_index=0, attempt=1, idempotency_key=key,
                    config=config, prepared={}, context={}, previous=(), env=env)  # type: ignore[arg-type]


async def test_the_publish_steps_queue_one_post_per_step_and_refuse_oversized_media(
        queue: Queue, settings: Settings) -> None:
    from services.workflows.social_steps import STEPS, PublishFacebookConfig, PublishInstagramConfig
    from services.workflows.steps.base import StepFailed

    facebook, instagram = STEPS
    await set_approval(queue.pool, True)
    key = uuid.uuid4().hex
    config = PublishFacebookConfig(content=f"Étape {key[:6]}")
    first = await facebook.run(step_call(queue, settings, config, key))
    again = await facebook.run(step_call(queue, settings, config, key))  # a retried attempt
    assert first.provider_id == again.provider_id and first.output["status"] == "pending"
    post = await queue.get(str(first.provider_id))
    assert post.source_kind == "workflow" and post.source_id is not None and post.source_id.startswith("promo:")

    with pytest.raises(ValueError):
        PublishInstagramConfig.model_validate({"content": "Sans image"})  # refused when the workflow is saved
    storage = open_storage(queue.pool, "workflows")
    big = f"social/{uuid.uuid4().hex}.jpg"
    await storage.put(big, b"\xff\xd8" + b"1" * 200_000, "image/jpeg")
    with pytest.raises(StepFailed) as err:
        await instagram.run(step_call(queue, settings, PublishInstagramConfig(content="Lourde",
                                                                              media_url=f"files:{big}"), key + "b"))
    assert not err.value.retryable and "over Instagram's limit" in err.value.reason


async def test_the_cli_lists_approves_and_rejects(queue: Queue, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import argparse
    import json

    from libs.common import cli
    from libs.common.errors import UsageError
    from services.workflows import social_cli

    monkeypatch.setattr(cli, "get_settings", lambda: queue.settings)
    await set_approval(queue.pool, True)
    text = f"Depuis la ligne de commande {uuid.uuid4().hex[:6]}"
    post = await queue.enqueue(content=text)
    other = await queue.enqueue(content=f"{text} (bis)")
    capsys.readouterr()
    assert await social_cli.list_command(argparse.Namespace(status="pending", limit=500, json=True)) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert {post.id, other.id} <= {p["id"] for p in listed}
    assert await social_cli.approve_command(argparse.Namespace(id=post.id, by="cli")) == 0
    assert f"{post.id}  approved" in capsys.readouterr().out
    assert await social_cli.reject_command(argparse.Namespace(id=other.id, reason="Hors sujet", by="cli")) == 0
    assert "Hors sujet" in capsys.readouterr().out
    with pytest.raises(UsageError, match="invalid_state"):  # the CLI's exit 2
        await social_cli.approve_command(argparse.Namespace(id=other.id, by="cli"))
    with pytest.raises(UsageError, match="not_found"):
        await social_cli.reject_command(argparse.Namespace(id=str(uuid.uuid4()), reason="", by="cli"))
    await queue.settled(post.id)


async def test_rate_limited_every_time_the_post_fails_after_the_last_attempt(queue: Queue) -> None:
    text = f"Toujours limité {uuid.uuid4().hex[:6]}"
    queue.graph.fail_next("feed", code=17, times=5)
    post = await approved_post(queue, content=text)
    done = await queue.settled(post.id)
    assert done.status == "failed" and done.results["facebook"].attempts == 5
    assert done.error_message is not None and "gave up after 5 attempts" in done.error_message
    assert "code 17" in done.error_message
    assert not [p for p in queue.graph.posts() if p.fields.get("message") == text]
