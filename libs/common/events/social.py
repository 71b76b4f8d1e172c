"""Message schemas of the social publication queue (`app_social_publication_queue`, workflows service).

A post is enqueued by an agent's `enqueue_social_post` tool (the tool call id as the request id), by a
workflow's `publish_facebook` / `publish_instagram` step or by the owner. With the
`socialApprovalRequired` flag on (the seed's default) it waits as `pending` until an owner approves it;
with the flag off it is approved and published at once. Statuses:
`pending → approved | rejected`, `approved → published | failed`. Times travel as ISO-8601 strings.
See docs/workflows.md ("Social publication queue").

Error codes (RemoteError code → HTTP): `not_found` 404, `invalid_post` 422 (e.g. Instagram without
media, media over the platform's size limit, a bad `scheduled_at`), `invalid_state` 409 (approving or
rejecting a post that is no longer pending).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from libs.common.messages import Message, message_type

Platform = Literal["facebook", "instagram"]
MediaType = Literal["image", "video"]
SourceKind = Literal["agent", "workflow", "owner"]
PostStatus = Literal["pending", "approved", "rejected", "published", "failed"]
MAX_CONTENT_CHARS = 63_206  # Facebook's limit for a post's text; Instagram's caption limit is checked too


class PlatformResult(Message):
    """One platform's outcome, kept in the row's `metadata.results[platform]`."""

    platform: Platform
    status: Literal["pending", "published", "failed", "unknown"]
    post_id: str | None = None  # the Graph API id, stored before anything is retried
    container_id: str | None = None  # Instagram: the media container created before media_publish
    attempts: int = 0
    error: str | None = None
    error_code: int | None = None
    published_at: str | None = None
    in_flight_since: str | None = None  # a write was sent whose outcome is not known yet
    found_by_lookup: bool = False  # the post id came from a look-up after an unknown outcome


class SocialPost(Message):
    id: str
    content: str
    platforms: list[Platform]
    status: PostStatus
    media_url: str | None = None
    media_type: MediaType | None = None
    scheduled_at: str | None = None  # publish not before this time (once approved)
    source_kind: SourceKind = "owner"
    source_id: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    published_at: str | None = None
    error_message: str | None = None
    results: dict[str, PlatformResult] = {}
    metadata: dict[str, Any] = {}
    created_at: str | None = None


@message_type("social.enqueue")
class EnqueueSocialPost(Message):
    """Writes: queue a post. Instagram needs `media_url` (it cannot post text alone) → `invalid_post`.

    Idempotent by request id: the same request id returns the same post.
    """

    platforms: list[Platform] = Field(min_length=1, max_length=2)
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    media_url: str | None = Field(None, max_length=2000)
    media_type: MediaType | None = None
    scheduled_at: str | None = Field(None, max_length=40)
    source_kind: SourceKind = "owner"
    source_id: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _distinct_platforms(self) -> EnqueueSocialPost:
        if len(set(self.platforms)) != len(self.platforms):
            raise ValueError("platforms must be distinct")
        return self


@message_type("social.post")
class SocialPostReply(Message):
    post: SocialPost


@message_type("social.get")
class GetSocialPost(Message):
    """Read-only; unknown id → error `not_found`."""

    id: str = Field(min_length=1, max_length=100)


@message_type("social.list")
class ListSocialPosts(Message):
    """Read-only: newest first."""

    status: PostStatus | None = None
    limit: int = Field(50, ge=1, le=500)


@message_type("social.posts")
class SocialPostList(Message):
    posts: list[SocialPost] = []


@message_type("social.approve")
class ApproveSocialPost(Message):
    """Writes: pending → approved (then published, at `scheduled_at` if later). Not pending → `invalid_state`."""

    id: str = Field(min_length=1, max_length=100)
    approved_by: str = Field("owner", min_length=1, max_length=200)


@message_type("social.reject")
class RejectSocialPost(Message):
    """Writes: pending → rejected with a reason. Not pending → `invalid_state`."""

    id: str = Field(min_length=1, max_length=100)
    reason: str = Field("", max_length=2000)
    rejected_by: str = Field("owner", min_length=1, max_length=200)
