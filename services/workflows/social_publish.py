"""The social publisher: approved, due posts go out to Facebook and Instagram, each side effect once.

One loop per replica, woken by `NOTIFY comptoir_social` (sent in the transaction that approves a post)
with a polling fallback (`SOCIAL_POLL_INTERVAL_S`, and the next `scheduled_at`). A replica leases one
post at a time (`publish_lease_until`, every write checks it still holds the lease), then per platform:

1. a stored post id means that platform is done (a crash after it, a retry for the other platform);
2. `in_flight_since` set means a write went out whose outcome we never learnt (a crash, a time-out, a
   5xx): the page's feed (or the Instagram container's status and the account's media) is looked up
   first; only when the post is not there is it sent again — never a blind retry;
3. otherwise `in_flight_since` is stored (committed) before the write, and the post id right after.
Rate limits (codes 4, 17, 32, 613) are retried with exponential backoff and jitter up to
`SOCIAL_MAX_ATTEMPTS`; an expired token (190) or another refusal fails the platform with its reason.
The post ends `published` when every platform is, else `failed` with the reasons (the platforms that
did publish keep their ids in `metadata.results`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from libs.common.db import connect
from libs.common.events.social import PlatformResult
from libs.common.logging import get_logger
from libs.common.settings import Settings
from services.workflows import metrics
from services.workflows import social_repo as repo
from services.workflows.graph import (
    GraphAuthError,
    GraphClient,
    GraphError,
    GraphSettings,
    GraphTransient,
    GraphUnknownOutcome,
)
from services.workflows.social_media import storage_key

log = get_logger(__name__)


class LeaseLost(Exception):
    """Another replica took the post over (this one was presumed gone): stop touching it."""


def _now() -> datetime:
    return datetime.now(UTC)


class SocialPublisher:
    def __init__(self, settings: Settings, pool: asyncpg.Pool, cfg: GraphSettings, client: GraphClient,
                 *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.settings, self.pool, self.cfg, self.client = settings, pool, cfg, client
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    # ---- running ------------------------------------------------------------------------------
    async def start(self) -> None:
        try:
            self._listener = await connect(self.settings)
            await self._listener.add_listener(repo.NOTIFY_CHANNEL, self._notified)
        except Exception as exc:  # polling still publishes, later
            log.warning("social_listen_failed", error=type(exc).__name__)
        self._task = asyncio.create_task(self._loop(), name="social-publisher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()

    def wake(self) -> None:
        self._wake.set()

    def _notified(self, *_: Any) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                while await self.publish_next():
                    pass
                wait = await self._until_next_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("social_publisher_error", error=f"{type(exc).__name__}: {exc}"[:300])
                wait = self.cfg.poll_interval_s
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _until_next_due(self) -> float:
        due = await repo.next_due(self.pool)
        if due is None:
            return self.cfg.poll_interval_s
        return max(0.05, min(self.cfg.poll_interval_s, (due - _now()).total_seconds()))

    # ---- one post -----------------------------------------------------------------------------
    async def publish_next(self) -> bool:
        """Publish the next due post, if any; True when one was handled."""
        row = await repo.claim_due(self.pool, self.cfg.lease_s)
        if row is None:
            return False
        try:
            await self._publish(row)
        except LeaseLost:
            log.warning("social_lease_lost", post_id=str(row["id"]))
        return True

    async def _publish(self, row: asyncpg.Record) -> None:
        post = repo.to_post(row)
        post_id: uuid.UUID = row["id"]
        self._lease: datetime = row["publish_lease_until"]
        results: dict[str, dict[str, Any]] = {
            name: result.model_dump(mode="json") for name, result in post.results.items()}
        media_url = self._graph_media_url(post.media_url)
        for platform in post.platforms:
            current = results.setdefault(platform, PlatformResult(platform=platform, status="pending")
                                         .model_dump(mode="json"))
            if current["status"] in ("published", "failed"):
                continue
            missing = self.cfg.missing_for(platform)
            if missing is not None:
                current.update(status="failed", error=missing)
                await self._save(post_id, results)
                continue
            await self._platform(post_id, platform, post.content, media_url, post.media_type, results)
        failed = {name: r for name, r in results.items() if r["status"] != "published"}
        status = "failed" if failed else "published"
        error = "; ".join(f"{name}: {r.get('error') or r['status']}" for name, r in failed.items()) or None
        if not await repo.finish(self.pool, post_id, self._lease, status, results, error):
            raise LeaseLost(str(post_id))
        for name, result in results.items():
            metrics.social_posts.labels(name, result["status"]).inc()
        log.info("social_post_finished", post_id=str(post_id), status=status,
                 post_ids={n: r.get("post_id") for n, r in results.items()}, error=error)

    def _graph_media_url(self, media_url: str | None) -> str | None:
        if media_url is None:
            return None
        key = storage_key(self.settings, media_url)
        return self.settings.public_link(f"/v1/files/{key}") if key is not None else media_url

    async def _save(self, post_id: uuid.UUID, results: dict[str, Any]) -> None:
        lease = await repo.save_results(self.pool, post_id, self._lease, results, self.cfg.lease_s)
        if lease is None:
            raise LeaseLost(str(post_id))
        self._lease = lease

    async def _platform(self, post_id: uuid.UUID, platform: str, content: str, media_url: str | None,
                        media_type: str | None, results: dict[str, dict[str, Any]]) -> None:
        result = results[platform]
        while True:
            try:
                if result.get("in_flight_since"):
                    try:
                        found = await self._look_up(platform, content, result)
                    except (GraphTransient, GraphUnknownOutcome) as exc:  # keep in_flight_since: ask again
                        result["attempts"] += 1
                        result.update(error=f"look-up after an unknown outcome failed: {exc.reason()}")
                        if result["attempts"] >= self.cfg.max_attempts:
                            result.update(status="failed", error=f"outcome unknown (the post may be online, "
                                                                 f"check the page): {exc.reason()}")
                            await self._save(post_id, results)
                            return
                        await self._save(post_id, results)
                        await self._backoff(platform, result, exc)
                        continue
                    if found is not None:
                        self._published(result, found, looked_up=True)
                        await self._save(post_id, results)
                        return
                    result["in_flight_since"] = None  # not there: it was never created
                if result["attempts"] >= self.cfg.max_attempts:
                    result.update(status="failed", error=result.get("error") or "too many attempts")
                    result["error"] = f"gave up after {result['attempts']} attempts: {result['error']}"
                    await self._save(post_id, results)
                    return
                result["attempts"] += 1
                if platform == "facebook":
                    result["in_flight_since"] = _now().isoformat()
                    await self._save(post_id, results)  # committed before the write
                    published = await self.client.publish_facebook(content, media_url, media_type)
                else:
                    published = await self._instagram(post_id, content, media_url, media_type, results)
                self._published(result, published)
                await self._save(post_id, results)
                return
            except LeaseLost:
                raise
            except GraphAuthError as exc:
                result.update(status="failed", error=exc.reason(), error_code=exc.code, in_flight_since=None)
                await self._save(post_id, results)
                return
            except GraphTransient as exc:  # nothing was created: back off, then send again
                result.update(error=exc.reason(), error_code=exc.code, in_flight_since=None)
                await self._save(post_id, results)
                await self._backoff(platform, result, exc)
            except GraphUnknownOutcome as exc:  # it may exist: keep in_flight_since, look up next time
                result.update(error=f"unknown outcome: {exc.reason()}", error_code=exc.code)
                await self._save(post_id, results)
                await self._backoff(platform, result, exc)
            except GraphError as exc:
                result.update(status="failed", error=exc.reason(), error_code=exc.code, in_flight_since=None)
                await self._save(post_id, results)
                return

    async def _instagram(self, post_id: uuid.UUID, caption: str, media_url: str | None, media_type: str | None,
                         results: dict[str, dict[str, Any]]) -> str:
        result = results["instagram"]
        if media_url is None:
            raise GraphError("Instagram cannot publish text alone: the post has no media")
        if not result.get("container_id"):
            # an unpublished container is harmless (it expires after 24 h): creating one is retried freely
            result["container_id"] = await self.client.create_instagram_container(caption, media_url, media_type)
            await self._save(post_id, results)
        container = str(result["container_id"])
        deadline = _now() + timedelta(seconds=self.cfg.container_wait_s)
        while True:
            status = await self.client.container_status(container)
            if status == "FINISHED":
                break
            if status == "PUBLISHED":  # published by an earlier attempt whose answer we lost
                found = await self.client.find_instagram_media(caption, _now() - timedelta(
                    seconds=self.cfg.lookup_window_s))
                return found or f"container:{container}"
            if status in ("ERROR", "EXPIRED"):
                result["container_id"] = None
                raise GraphError(f"Instagram could not process the media (container {status})")
            if _now() >= deadline:
                raise GraphTransient(f"the Instagram container is still {status or 'unknown'} after "
                                     f"{self.cfg.container_wait_s:g} s")
            await self._sleep(self.cfg.container_poll_s)
        result["in_flight_since"] = _now().isoformat()
        await self._save(post_id, results)  # committed before media_publish
        return await self.client.publish_instagram_container(container)

    async def _look_up(self, platform: str, content: str, result: dict[str, Any]) -> str | None:
        """After an unknown outcome: is the post there? (GET the feed / the container and media.)"""
        since = datetime.fromisoformat(str(result["in_flight_since"])) - timedelta(seconds=60)
        if platform == "facebook":
            found = await self.client.find_facebook_post(content, since)
        elif result.get("container_id"):
            status = await self.client.container_status(str(result["container_id"]))
            if status != "PUBLISHED":
                log.info("social_lookup_not_published", platform=platform, container_status=status)
                return None
            found = await self.client.find_instagram_media(content, since) or f"container:{result['container_id']}"
        else:
            found = None
        if (found is not None and not found.startswith("container:")
                and await self.client.get_object(found) is None):
            return None
        log.info("social_lookup", platform=platform, found=found is not None)
        return found

    def _published(self, result: dict[str, Any], post_id: str, *, looked_up: bool = False) -> None:
        result.update(status="published", post_id=post_id, in_flight_since=None, error=None, error_code=None,
                      published_at=_now().isoformat())
        if looked_up:
            result["error"] = None
            result["found_by_lookup"] = True

    async def _backoff(self, platform: str, result: dict[str, Any], exc: GraphError) -> None:
        attempts = int(result["attempts"])
        delay_ms = min(self.cfg.retry_max_ms, self.cfg.retry_base_ms * 2 ** max(0, attempts - 1))
        delay = delay_ms / 1000 * random.uniform(0.8, 1.2)
        log.warning("social_retry", platform=platform, attempt=attempts, delay_s=round(delay, 3),
                    code=exc.code, error_type=type(exc).__name__)
        await self._sleep(delay)
