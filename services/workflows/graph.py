"""Facebook and Instagram Graph API client for the social publication queue.

Facebook pages: `POST /{page-id}/feed` (text, optional link), `/{page-id}/photos` (`url` + `message`),
`/{page-id}/videos` (`file_url` + `description`). Instagram (professional account linked to the page):
`POST /{ig-user-id}/media` (a container from `image_url` or `video_url`), `GET /{container}?fields=
status_code` until `FINISHED`, then `POST /{ig-user-id}/media_publish` (`creation_id`).

The page token travels in the `Authorization: Bearer` header only, never in a URL, so no access log
or exception message carries it. Errors are typed from the Graph error body
(`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`):
- codes 4, 17, 32, 613 (rate limits) and bodies marked `is_transient` → `GraphTransient`: nothing was
  created, the caller retries with backoff;
- code 190 (expired or invalid token) → `GraphAuthError`: fail with a clear reason, never retry;
- a time-out, a dropped connection, a 5xx or codes 1 / 2 on a write → `GraphUnknownOutcome`: the
  post may exist; the caller looks it up before anything else (never a blind retry);
- anything else → `GraphError` (a permanent refusal with the platform's reason).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.common.errors import ComptoirError
from libs.common.logging import get_logger
from libs.common.settings import Settings

log = get_logger(__name__)

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
TOKEN_EXPIRED_CODE = 190
UNKNOWN_CODES = frozenset({1, 2})  # "unknown error" / "service temporarily unavailable"
MiB = 1024 * 1024


class GraphSettings(BaseSettings):
    """Env prefix `SOCIAL_`. The page token is required in production unless publishing is disabled."""

    model_config = SettingsConfigDict(env_prefix="SOCIAL_", env_file=".env", extra="ignore")

    graph_base_url: str = "https://graph.facebook.com"
    graph_version: str = Field("v21.0", pattern=r"^v\d+\.\d+$")
    page_id: str | None = None
    instagram_user_id: str | None = None
    page_access_token: SecretStr | None = None
    # no Graph settings on purpose (a shop without social accounts): publishing fails with a reason
    publishing_disabled: bool = False
    timeout_s: float = Field(20.0, gt=0)
    max_attempts: int = Field(5, ge=1, le=20)  # per platform, for rate-limit errors and unknown outcomes
    retry_base_ms: int = Field(1000, ge=1)
    retry_max_ms: int = Field(60_000, ge=1)
    lease_s: float = Field(300.0, gt=0)  # a replica holds a post this long while publishing it
    poll_interval_s: float = Field(5.0, gt=0)  # scan for due posts (NOTIFY wakes it sooner)
    container_wait_s: float = Field(120.0, gt=0)  # Instagram video containers: wait until FINISHED
    container_poll_s: float = Field(2.0, gt=0)
    lookup_window_s: float = Field(600.0, gt=0)  # how far back a look-up searches for our post
    # per-platform media limits (Facebook photos 10 MB, videos 1 GB; Instagram JPEG 8 MB, videos 100 MB)
    facebook_image_max_bytes: int = Field(10 * MiB, ge=1)
    facebook_video_max_bytes: int = Field(1024 * MiB, ge=1)
    instagram_image_max_bytes: int = Field(8 * MiB, ge=1)
    instagram_video_max_bytes: int = Field(100 * MiB, ge=1)

    def startup_warning(self, settings: Settings) -> str | None:
        """What to tell the operator at start-up in production when nothing can be published (no page
        token or id, publishing not turned off): the service still runs its other work, and each
        post fails with the reason (`missing_for`) instead of the whole service refusing to start."""
        if settings.environment != "production" or self.publishing_disabled:
            return None
        missing = [name for name, value in (("SOCIAL_PAGE_ACCESS_TOKEN", self.page_access_token),
                                            ("SOCIAL_PAGE_ID", self.page_id)) if not value]
        if not missing:
            return None
        return (f"social publishing is not configured ({', '.join(missing)} missing): approved posts will "
                "fail with that reason; set them, or SOCIAL_PUBLISHING_DISABLED=true for a shop without pages")

    def missing_for(self, platform: str) -> str | None:
        """Why `platform` cannot be published to with these settings, or None."""
        if self.publishing_disabled:
            return "social publishing is disabled (SOCIAL_PUBLISHING_DISABLED)"
        if self.page_access_token is None or not self.page_access_token.get_secret_value():
            return "no page access token configured (SOCIAL_PAGE_ACCESS_TOKEN)"
        if platform == "facebook" and not self.page_id:
            return "no Facebook page configured (SOCIAL_PAGE_ID)"
        if platform == "instagram" and not self.instagram_user_id:
            return "no Instagram account configured (SOCIAL_INSTAGRAM_USER_ID)"
        return None

    def max_bytes(self, platform: str, media_type: str) -> int:
        value: int = getattr(self, f"{platform}_{media_type}_max_bytes")
        return value


class GraphError(ComptoirError):
    """A permanent refusal by the Graph API: the post is not published, with the platform's reason."""

    def __init__(self, message: str, *, code: int | None = None, subcode: int | None = None,
                 status: int | None = None, kind: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.status = status
        self.kind = kind

    def reason(self) -> str:
        code = f" (code {self.code})" if self.code is not None else ""
        return f"{self.message}{code}"


class GraphTransient(GraphError):
    """Rate limited or marked transient: nothing was created; retry after a backoff."""


class GraphAuthError(GraphError):
    """Code 190: the page token expired or was revoked."""

    def reason(self) -> str:
        return (f"the page access token is expired or invalid (Graph API code 190): {self.message}; "
                "renew SOCIAL_PAGE_ACCESS_TOKEN")


class GraphUnknownOutcome(GraphError):
    """A write whose outcome is unknown (time-out, dropped connection, 5xx): look up before retrying."""


def _error_from(response: httpx.Response, write: bool) -> GraphError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        message = f"HTTP {response.status_code} without a Graph error body"
        if write and response.status_code >= 500:
            return GraphUnknownOutcome(message, status=response.status_code)
        if response.status_code >= 500 or response.status_code == 429:
            return GraphTransient(message, status=response.status_code)
        return GraphError(message, status=response.status_code)
    code = err.get("code") if isinstance(err.get("code"), int) else None
    subcode = err.get("error_subcode") if isinstance(err.get("error_subcode"), int) else None
    args: dict[str, Any] = {"code": code, "subcode": subcode, "status": response.status_code,
                            "kind": str(err.get("type") or "")}
    message = str(err.get("message") or "Graph API error")[:500]
    if code == TOKEN_EXPIRED_CODE:
        return GraphAuthError(message, **args)
    if code in RATE_LIMIT_CODES or response.status_code == 429:
        return GraphTransient(message, **args)
    if code in UNKNOWN_CODES or response.status_code >= 500:
        return GraphUnknownOutcome(message, **args) if write else GraphTransient(message, **args)
    if err.get("is_transient") is True:
        return GraphTransient(message, **args)
    return GraphError(message, **args)


class GraphClient:
    """One HTTP client for the Graph API (`aclose()` when done)."""

    def __init__(self, cfg: GraphSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.cfg = cfg
        headers = {"User-Agent": "comptoir-social/1"}
        if cfg.page_access_token is not None:
            headers["Authorization"] = f"Bearer {cfg.page_access_token.get_secret_value()}"
        self._http = httpx.AsyncClient(base_url=f"{cfg.graph_base_url.rstrip('/')}/{cfg.graph_version}",
                                       headers=headers, timeout=cfg.timeout_s, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: Literal["GET", "POST"], path: str, data: dict[str, Any]) -> dict[str, Any]:
        write = method == "POST"
        try:
            if write:
                response = await self._http.post(path, data=data)
            else:
                response = await self._http.get(path, params=data)
        except httpx.TimeoutException as exc:
            cls = GraphUnknownOutcome if write else GraphTransient
            raise cls(f"no answer from the Graph API in {self.cfg.timeout_s:g} s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            # a connection refused before sending is safe, but httpx cannot always tell: assume unknown
            cls = GraphUnknownOutcome if write else GraphTransient
            raise cls(f"Graph API connection failed ({type(exc).__name__})") from None
        if response.status_code >= 400:
            error = _error_from(response, write)
            log.warning("graph_api_error", method=method, path=_safe_path(path), status=response.status_code,
                        code=error.code, subcode=error.subcode, error_type=type(error).__name__)
            raise error
        try:
            body = response.json()
        except ValueError:
            raise (GraphUnknownOutcome if write else GraphTransient)("the Graph API answered non-JSON") from None
        if not isinstance(body, dict):
            raise (GraphUnknownOutcome if write else GraphTransient)("the Graph API answered a non-object")
        return body

    # ---- Facebook -----------------------------------------------------------------------------
    async def publish_facebook(self, content: str, media_url: str | None, media_type: str | None) -> str:
        """Publish on the page; returns the post id (`{page}_{post}`, or the photo / video id)."""
        page = self.cfg.page_id
        if media_url is None:
            body = await self._call("POST", f"/{page}/feed", {"message": content})
            return str(body["id"])
        if media_type == "video":
            body = await self._call("POST", f"/{page}/videos", {"file_url": media_url, "description": content})
            return str(body["id"])
        body = await self._call("POST", f"/{page}/photos", {"url": media_url, "message": content,
                                                          "published": "true"})
        return str(body.get("post_id") or body["id"])

    async def find_facebook_post(self, content: str, since: datetime) -> str | None:
        """The page's post with this text created since `since` (the look-up after an unknown outcome)."""
        body = await self._call("GET", f"/{self.cfg.page_id}/feed",
                                {"fields": "id,message,created_time", "since": int(since.timestamp()),
                                 "limit": 50})
        for post in body.get("data") or []:
            if isinstance(post, dict) and _same_text(post.get("message"), content):
                return str(post["id"])
        return None

    # ---- Instagram ----------------------------------------------------------------------------
    async def create_instagram_container(self, caption: str, media_url: str, media_type: str | None) -> str:
        user = self.cfg.instagram_user_id
        data: dict[str, Any] = {"caption": caption}
        if media_type == "video":
            data.update(media_type="REELS", video_url=media_url)
        else:
            data["image_url"] = media_url
        body = await self._call("POST", f"/{user}/media", data)
        return str(body["id"])

    async def container_status(self, container_id: str) -> str:
        """FINISHED | IN_PROGRESS | ERROR | EXPIRED | PUBLISHED."""
        body = await self._call("GET", f"/{container_id}", {"fields": "status_code"})
        return str(body.get("status_code") or "")

    async def publish_instagram_container(self, container_id: str) -> str:
        body = await self._call("POST", f"/{self.cfg.instagram_user_id}/media_publish",
                                {"creation_id": container_id})
        return str(body["id"])

    async def find_instagram_media(self, caption: str, since: datetime) -> str | None:
        body = await self._call("GET", f"/{self.cfg.instagram_user_id}/media",
                                {"fields": "id,caption,timestamp", "limit": 50})
        for media in body.get("data") or []:
            if not isinstance(media, dict) or not _same_text(media.get("caption"), caption):
                continue
            stamp = _parse_time(media.get("timestamp"))
            if stamp is None or stamp >= since:
                return str(media["id"])
        return None

    # ---- reading back -------------------------------------------------------------------------
    async def get_object(self, object_id: str) -> dict[str, Any] | None:
        """GET a post or media by id; None when the Graph API says it does not exist (code 100)."""
        try:
            return await self._call("GET", f"/{object_id}", {"fields": "id"})
        except GraphError as exc:
            if exc.code == 100 or exc.status == 404:
                return None
            raise


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None


def _same_text(found: Any, ours: str) -> bool:
    """The platform may trim or normalise line ends: compare what is left."""
    if not isinstance(found, str):
        return False
    return " ".join(found.split()) == " ".join(ours.split())


def _safe_path(path: str) -> str:
    return path.split("?", 1)[0]
