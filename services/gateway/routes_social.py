"""Admin API of the social publication queue (bearer GATEWAY_ADMIN_TOKEN); the workflows service answers.

- `GET /v1/admin/social/posts?status=pending&limit=50` → the queue, newest first;
- `GET /v1/admin/social/posts/{id}` → one post, with each platform's result;
- `POST /v1/admin/social/posts` {platforms, content, media_url?, media_type?, scheduled_at?} → 201, the
  queued post (`source_kind` owner); it waits for approval while `socialApprovalRequired` is on;
- `POST /v1/admin/social/posts/{id}/approve` {approved_by?} and `/reject` {reason?}.
- `PUT /v1/admin/social/media/{name}` (the file as the body, its `Content-Type` an image or a video) →
  201 `{media_url: "files:social/…", url, size, content_type}`: a post's media in the storage port;
- `GET /v1/files/social/{name}` (no token: the Graph API fetches the media from here when it publishes;
  keys carry a random part) → the stored image or video.
Errors: `not_found` 404, `invalid_post` 422 (Instagram without media, media over a platform's size limit,
a bad time), `invalid_state` 409 (the post is no longer pending). With `Idempotency-Key` a retried POST
gets the first answer (the request id handed to the workflows service is stable).
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from libs.common.errors import RemoteError
from libs.common.events.social import (
    MAX_CONTENT_CHARS,
    ApproveSocialPost,
    EnqueueSocialPost,
    GetSocialPost,
    ListSocialPosts,
    Platform,
    PostStatus,
    RejectSocialPost,
    SocialPost,
    SocialPostList,
    SocialPostReply,
)
from libs.common.logging import get_logger
from libs.storage import FileNotFound, StorageError, StorageSettings, check_key, public_file_url
from libs.storage.port import check_size
from services.gateway import body as bodies
from services.gateway import idempotency
from services.gateway.deps import GatewayDep
from services.gateway.errors import DOMAIN_STATUS, ApiError, domain_error
from services.gateway.routes_admin import require_admin

log = get_logger(__name__)
router = APIRouter(prefix="/v1/admin/social", tags=["admin", "social"], dependencies=[Depends(require_admin)])
media_router = APIRouter(prefix="/v1/files", tags=["files"])
MEDIA_PREFIX = "social/"
MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime",
                         "video/webm"})
_NAME = re.compile(r"[^A-Za-z0-9._-]+")
STATUS = {**DOMAIN_STATUS, "bad_request": 422}  # a post the social queue cannot take: its fields
PostId = Annotated[str, Field(min_length=1, max_length=100)]


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platforms: list[Platform] = Field(min_length=1, max_length=2)
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    media_url: str | None = Field(None, max_length=2000, description="files:<key> (the storage port) or https://")
    media_type: Literal["image", "video"] | None = None
    scheduled_at: str | None = Field(None, max_length=40, description="ISO-8601; without an offset: shop time")


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved_by: str = Field("admin", min_length=1, max_length=200)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=2000)
    rejected_by: str = Field("admin", min_length=1, max_length=200)


def _request_id(request: Request) -> uuid.UUID:
    return idempotency.request_id_of(request) or uuid.uuid4()


async def _ask(gw: Any, request_type: str, body: Any, reply: type[Any], request_id: uuid.UUID | None = None) -> Any:
    try:
        return await gw.rpc.request(request_type, body, reply, request_id=request_id)
    except RemoteError as exc:
        raise domain_error(exc, STATUS) from exc


@router.get("/posts", response_model=SocialPostList)
async def list_posts(gw: GatewayDep, status: PostStatus | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Queued posts, newest first, optionally in one status."""
    found: SocialPostList = await _ask(gw, ListSocialPosts.TYPE, ListSocialPosts(status=status, limit=limit),
                                       SocialPostList)
    return found.model_dump(mode="json")


@router.get("/posts/{post_id}", response_model=SocialPost)
async def get_post(post_id: PostId, gw: GatewayDep) -> dict[str, Any]:
    """One post with each platform's result (`results`: post id, attempts, error)."""
    found: SocialPostReply = await _ask(gw, GetSocialPost.TYPE, GetSocialPost(id=post_id), SocialPostReply)
    return found.post.model_dump(mode="json")


@router.post("/posts", response_model=SocialPost, status_code=201)
async def create_post(body: PostIn, request: Request, gw: GatewayDep) -> dict[str, Any]:
    """Queue a post written by the owner."""
    try:
        req = EnqueueSocialPost(platforms=body.platforms, content=body.content, media_url=body.media_url or None,
                                media_type=body.media_type, scheduled_at=body.scheduled_at or None,
                                source_kind="owner")
    except ValueError as exc:
        raise ApiError(422, "invalid_post", str(exc).splitlines()[-1][:300]) from None
    reply: SocialPostReply = await _ask(gw, EnqueueSocialPost.TYPE, req, SocialPostReply, _request_id(request))
    return reply.post.model_dump(mode="json")


@router.post("/posts/{post_id}/approve", response_model=SocialPost)
async def approve_post(post_id: PostId, request: Request, gw: GatewayDep,
                       body: ApproveIn | None = None) -> dict[str, Any]:
    """Approve a pending post: it is published (at `scheduled_at` if later)."""
    by = body.approved_by if body else "admin"
    reply: SocialPostReply = await _ask(gw, ApproveSocialPost.TYPE, ApproveSocialPost(id=post_id, approved_by=by),
                                        SocialPostReply, _request_id(request))
    return reply.post.model_dump(mode="json")


@router.post("/posts/{post_id}/reject", response_model=SocialPost)
async def reject_post(post_id: PostId, request: Request, gw: GatewayDep,
                      body: RejectIn | None = None) -> dict[str, Any]:
    """Reject a pending post, with the reason kept in `error_message`."""
    req = RejectSocialPost(id=post_id, reason=body.reason if body else "",
                           rejected_by=body.rejected_by if body else "admin")
    reply: SocialPostReply = await _ask(gw, RejectSocialPost.TYPE, req, SocialPostReply, _request_id(request))
    return reply.post.model_dump(mode="json")


@router.put("/media/{name}", status_code=201,
            responses={415: {"description": "not an image or a video (see the accepted content types)"}})
async def upload_media(name: str, request: Request, gw: GatewayDep) -> dict[str, Any]:
    """Store a post's image or video; use the answer's `media_url` in a post."""
    content_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type not in MEDIA_TYPES:
        raise ApiError(415, "unsupported_media", f"send an image or a video ({', '.join(sorted(MEDIA_TYPES))})")
    limit = StorageSettings().storage_max_bytes
    data = await bodies.read_limited(request, limit)
    if not data:
        raise ApiError(400, "empty_body", "the request body is empty; send the file")
    clean = _NAME.sub("-", name).strip(".-")[:80] or "media"
    key = f"{MEDIA_PREFIX}{uuid.uuid4().hex}-{clean}"
    try:
        check_size(data, limit)
        stored = await gw.files.put(check_key(key), data, content_type)
    except StorageError as exc:
        raise ApiError(422, "invalid_media", str(exc)) from exc
    log.info("social_media_stored", key=key, size=stored.size, content_type=content_type)
    return {"media_url": f"files:{key}", "url": public_file_url(gw.settings, key), "size": stored.size,
            "content_type": stored.content_type}


@media_router.get("/social/{name}", summary="A social post's media", response_class=Response,
                  responses={200: {"description": "the image or video"}, 404: {"description": "no such media"}})
async def social_media(name: str, gw: GatewayDep) -> Response:
    try:
        key = check_key(f"{MEDIA_PREFIX}{name}")
        found = await gw.files.get(key)
    except FileNotFound as exc:
        raise ApiError(404, "not_found", "no such social media file") from exc
    except StorageError as exc:
        if "key" in str(exc).lower():
            raise ApiError(404, "not_found", "no such social media file") from exc
        log.warning("file_store_unavailable", error=str(exc))
        raise ApiError(503, "storage_unavailable", "the file store did not answer; retry shortly",
                       headers={"Retry-After": "5"}) from exc
    content_type = found.info.content_type.split(";", 1)[0].strip().lower()
    if content_type not in MEDIA_TYPES:
        raise ApiError(404, "not_found", "no such social media file")
    return Response(found.data, media_type=content_type, headers={
        "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})
