"""The social publication queue: `social.enqueue|get|list|approve|reject` and the publisher.

`register(svc)` adds the handlers and the publisher to the workflows service (services/workflows/app.py
calls it). A post is queued `pending`; with the `socialApprovalRequired` flag off it is queued
`approved` at once (`approved_by` = "auto"). An approved post is published by `SocialPublisher`
(services/workflows/social_publish.py) when due (`scheduled_at`, else at once). The Graph API settings
are `GraphSettings` (env `SOCIAL_*`, services/workflows/graph.py). See docs/workflows.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from libs.common.errors import RemoteError
from libs.common.events.social import (
    ApproveSocialPost,
    EnqueueSocialPost,
    GetSocialPost,
    ListSocialPosts,
    RejectSocialPost,
    SocialPostList,
    SocialPostReply,
)
from libs.common.flags import read_flags
from libs.common.logging import get_logger
from libs.common.service import HandlerContext, ServiceApp
from libs.common.settings import Settings
from libs.storage import FileStorage, open_storage
from services.workflows import social_repo as repo
from services.workflows.graph import GraphClient, GraphSettings
from services.workflows.social_media import MediaRefused, resolve
from services.workflows.social_publish import SocialPublisher
from services.workflows.social_steps import register_steps
from services.workflows.steps.base import StepRegistry

log = get_logger(__name__)
INSTAGRAM_CAPTION_MAX = 2200
AUTO_APPROVER = "auto"


@dataclass
class SocialRuntime:
    """The queue's resources in one service process, made by the start-up hook `register` adds."""

    cfg: GraphSettings = field(default_factory=GraphSettings)
    storage: FileStorage | None = None
    client: GraphClient | None = None
    publisher: SocialPublisher | None = None

    def need_storage(self) -> FileStorage:
        if self.storage is None:
            raise RemoteError("unavailable", "the social queue is not started")
        return self.storage


def parse_scheduled_at(value: str | None, settings: Settings) -> datetime | None:
    """ISO-8601; a time without an offset is the shop's local time (COMPTOIR_TIMEZONE)."""
    if value is None or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RemoteError("invalid_post", f"scheduled_at is not an ISO-8601 time: {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=settings.zone())
    return when.astimezone(UTC)


def _post_id(value: str) -> Any:
    post_id = repo.parse_id(value)
    if post_id is None:
        raise RemoteError("not_found", f"no social post {value!r}")
    return post_id


def register(svc: ServiceApp[Any], steps: StepRegistry | None = None,
             runtime: SocialRuntime | None = None) -> SocialRuntime:
    """Add the social queue's requests and publisher to `svc`, and the `publish_facebook` /
    `publish_instagram` step types to the engine's `steps`; returns its runtime (for tests)."""
    rt = runtime or SocialRuntime()
    if steps is not None:
        register_steps(steps)

    default_cfg = rt.cfg

    async def start(ctx: HandlerContext) -> None:
        override = ctx.deps.get("social_settings")
        rt.cfg = override if isinstance(override, GraphSettings) else default_cfg
        warning = rt.cfg.startup_warning(ctx.settings)
        if warning is not None:
            log.warning("social.not_configured", detail=warning)
        rt.storage = open_storage(ctx.pool, "workflows")
        rt.client = GraphClient(rt.cfg, transport=ctx.deps.get("social_transport"))
        if not ctx.deps.get("social_publisher_off"):
            rt.publisher = SocialPublisher(ctx.settings, ctx.pool, rt.cfg, rt.client)
            await rt.publisher.start()

    async def stop(ctx: HandlerContext) -> None:
        if rt.publisher is not None:
            await rt.publisher.stop()
        if rt.client is not None:
            await rt.client.aclose()
        if rt.storage is not None:
            await rt.storage.close()

    async def enqueue(req: EnqueueSocialPost, ctx: HandlerContext, _: Any) -> SocialPostReply:
        if "instagram" in req.platforms and not req.media_url:
            raise RemoteError("invalid_post", "Instagram cannot publish text alone: give a media_url")
        if "instagram" in req.platforms and len(req.content) > INSTAGRAM_CAPTION_MAX:
            raise RemoteError("invalid_post", f"an Instagram caption holds at most {INSTAGRAM_CAPTION_MAX} "
                                              f"characters ({len(req.content)} given)")
        if req.media_type is not None and not req.media_url:
            raise RemoteError("invalid_post", "media_type given without a media_url")
        scheduled = parse_scheduled_at(req.scheduled_at, ctx.settings)
        media_type: str | None = None
        if req.media_url:
            try:
                media = await resolve(ctx.settings, rt.cfg, rt.need_storage(), req.media_url, req.media_type,
                                      list(req.platforms))
            except MediaRefused as exc:
                raise RemoteError("invalid_post", str(exc)) from None
            media_type = media.media_type
        async with ctx.transaction() as conn:
            flags = await read_flags(conn)
            approval = flags.social_approval_required
            row = await repo.insert(
                conn, content=req.content, media_url=req.media_url, media_type=media_type,
                platforms=list(req.platforms), status="pending" if approval else "approved",
                approved_by=None if approval else AUTO_APPROVER,
                metadata={"results": {}, "request_id": ctx.request_id}, scheduled_at=scheduled,
                source_kind=req.source_kind, source_id=req.source_id)
        post = repo.to_post(row)
        log.info("social_post_queued", post_id=post.id, status=post.status, platforms=post.platforms,
                 source_kind=post.source_kind, source_id=post.source_id, scheduled_at=post.scheduled_at)
        return SocialPostReply(post=post)

    async def get(req: GetSocialPost, ctx: HandlerContext, _: Any) -> SocialPostReply:
        row = await repo.fetch(ctx.pool, _post_id(req.id))
        if row is None:
            raise RemoteError("not_found", f"no social post {req.id!r}")
        return SocialPostReply(post=repo.to_post(row))

    async def list_(req: ListSocialPosts, ctx: HandlerContext, _: Any) -> SocialPostList:
        rows = await repo.list_posts(ctx.pool, req.status, req.limit)
        return SocialPostList(posts=[repo.to_post(r) for r in rows])

    async def _decide(ctx: HandlerContext, raw_id: str, status: str, by: str, reason: str | None) -> SocialPostReply:
        post_id = _post_id(raw_id)
        async with ctx.transaction() as conn:
            extra = {"rejected_by": by, "rejected_at": datetime.now(UTC).isoformat()} if status == "rejected" else {}
            row = await repo.decide(conn, post_id, status, by if status == "approved" else None, reason, extra)
            if row is None:
                current = await repo.fetch(conn, post_id)
                if current is None:
                    raise RemoteError("not_found", f"no social post {raw_id!r}")
                raise RemoteError("invalid_state", f"the post is {current['status']}, not pending")
        post = repo.to_post(row)
        log.info("social_post_decided", post_id=post.id, status=status, by=by)
        return SocialPostReply(post=post)

    async def approve(req: ApproveSocialPost, ctx: HandlerContext, _: Any) -> SocialPostReply:
        return await _decide(ctx, req.id, "approved", req.approved_by, None)

    async def reject(req: RejectSocialPost, ctx: HandlerContext, _: Any) -> SocialPostReply:
        reason = req.reason.strip() or "rejected by the owner"
        return await _decide(ctx, req.id, "rejected", req.rejected_by, reason)

    svc.on_startup(start)
    svc.on_shutdown(stop)
    svc.on_request("social.enqueue", writes=True)(enqueue)
    svc.on_request("social.get", read_only=True)(get)
    svc.on_request("social.list", read_only=True)(list_)
    svc.on_request("social.approve", writes=True)(approve)
    svc.on_request("social.reject", writes=True)(reject)
    return rt
