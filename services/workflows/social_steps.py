"""Workflow step types `publish_facebook` and `publish_instagram`: queue a post (`social.enqueue`).

Config `{"content", "media_url", "media_type", "scheduled_at"}` (templates rendered from the event
and earlier steps); `media_url` is optional for Facebook and required for Instagram, which cannot post
text alone (refused when the workflow is saved). The post goes through the social queue like any other:
it waits for the owner's approval while `socialApprovalRequired` is on. The request id is derived from
the run and the step, the same on every attempt, so a retried step queues one post (effect
`idempotent`). The step's output is the queued post (`post_id`, `status`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.common.errors import RemoteError, RequestTimeout
from libs.common.events.social import MAX_CONTENT_CHARS, EnqueueSocialPost, Platform, SocialPostReply
from services.workflows.steps.base import StepCall, StepFailed, StepRegistry, StepResult, StepType

FINAL_CODES = frozenset({"invalid_post", "bad_request", "not_found", "invalid_state"})


class PublishFacebookConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    media_url: str | None = Field(None, max_length=2000)
    media_type: Literal["image", "video"] | None = None
    scheduled_at: str | None = Field(None, max_length=200)


class PublishInstagramConfig(PublishFacebookConfig):
    media_url: str = Field(min_length=1, max_length=2000)  # required here


def request_id(call: StepCall) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"comptoir-workflow-step:{call.idempotency_key}")


def _runner(platform: Platform) -> Callable[[StepCall], Awaitable[StepResult]]:
    async def run(call: StepCall) -> StepResult:
        cfg: PublishFacebookConfig = call.config
        content = cfg.content.strip()
        if not content:
            raise StepFailed(f"publish_{platform}: `content` rendered empty")
        media_url = (cfg.media_url or "").strip() or None
        if platform == "instagram" and media_url is None:
            raise StepFailed("publish_instagram: `media_url` rendered empty (Instagram cannot post text alone)")
        try:
            body = EnqueueSocialPost(platforms=[platform], content=content, media_url=media_url,
                                     media_type=cfg.media_type, scheduled_at=(cfg.scheduled_at or "").strip() or None,
                                     source_kind="workflow", source_id=f"{call.workflow}:{call.run_id}")
        except ValueError as exc:
            raise StepFailed(f"publish_{platform}: invalid post after rendering: {exc}") from exc
        timeout = call.env.settings.rpc_timeout_s
        try:
            reply = await call.env.rpc.request("social.enqueue", body, SocialPostReply, timeout=timeout,
                                               request_id=request_id(call))
        except RemoteError as exc:
            raise StepFailed(f"publish_{platform}: {exc.code}: {exc.message}",
                             retryable=exc.code not in FINAL_CODES) from exc
        except RequestTimeout as exc:
            raise StepFailed(f"publish_{platform}: the social queue did not answer in {timeout:.0f} s",
                             retryable=True, unknown=True) from exc
        post = reply.post
        return StepResult(output={"post_id": post.id, "status": post.status, "platforms": list(post.platforms),
                                  "scheduled_at": post.scheduled_at}, provider_id=post.id)
    run.__name__ = f"run_publish_{platform}"
    return run


STEPS = (
    StepType("publish_facebook", PublishFacebookConfig, _runner("facebook"), "idempotent",
             "Queue a Facebook post (`content`, optional `media_url`, `media_type`, `scheduled_at`); "
             "it waits for approval while socialApprovalRequired is on.", raw_fields=frozenset({"media_type"})),
    StepType("publish_instagram", PublishInstagramConfig, _runner("instagram"), "idempotent",
             "Queue an Instagram post (`content` as caption, `media_url` required, `media_type`, "
             "`scheduled_at`); it waits for approval while socialApprovalRequired is on.",
             raw_fields=frozenset({"media_type"})),
)


def register_steps(registry: StepRegistry) -> None:
    for step in STEPS:
        registry.register(step)
