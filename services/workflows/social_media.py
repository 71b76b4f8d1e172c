"""A social post's media: where it is, what it is, and whether each platform takes it.

`media_url` is either a file of the storage port (`files:<key>`, or the gateway's own link to it,
`<COMPTOIR_PUBLIC_URL>/v1/files/<key>`) or an `https://` address elsewhere. A stored file's size and
content type are known (`FileStorage.stat`), so a file over a platform's limit is refused when the
post is queued, with the reason; the Graph API fetches it from the gateway's public link. An outside
address is handed to the Graph API as it is (the platform checks it when it fetches it).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from libs.common.settings import Settings
from libs.storage import FileStorage, check_key, public_file_url
from libs.storage.port import StorageError
from services.workflows.graph import GraphSettings

FILES_SCHEME = "files:"
FILES_PATH = "/v1/files/"
SOCIAL_PREFIX = "social/"  # GET /v1/files/social/<name> (services/gateway/routes_social.py)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
INSTAGRAM_IMAGE_TYPES = frozenset({"image/jpeg"})  # the Content Publishing API takes JPEG only


class MediaRefused(ValueError):
    """The media cannot go out as asked: the message is the reason shown to the owner."""


@dataclass(frozen=True)
class Media:
    url: str  # what the Graph API fetches
    media_type: str  # image | video
    key: str | None = None  # the storage key when the file is ours
    size: int | None = None
    content_type: str | None = None


def storage_key(settings: Settings, media_url: str) -> str | None:
    """The storage key a media URL names, or None for an outside address."""
    if media_url.startswith(FILES_SCHEME):
        return check_key(media_url[len(FILES_SCHEME):])
    base = settings.public_link(FILES_PATH)
    if media_url.startswith(base):
        return check_key(media_url[len(base):])
    return None


async def resolve(settings: Settings, cfg: GraphSettings, storage: FileStorage, media_url: str,
                  media_type: str | None, platforms: list[str]) -> Media:
    """Check the media for every platform; raises `MediaRefused` with the reason."""
    try:
        key = storage_key(settings, media_url)
    except StorageError as exc:
        raise MediaRefused(f"media_url names no valid file: {exc}") from None
    if key is None:
        parts = urlsplit(media_url)
        allowed = ("https",) if settings.environment == "production" else ("https", "http")
        if parts.scheme not in allowed or not parts.netloc:
            raise MediaRefused("media_url must be a stored file (files:<key>) or an https:// address")
        kind = media_type or _type_from_path(parts.path)
        return Media(media_url, kind)
    if not key.startswith(SOCIAL_PREFIX):
        raise MediaRefused(f"a post's stored media lives under {SOCIAL_PREFIX} (the gateway serves those to the "
                           f"platforms): {key!r} is not; upload it with PUT /v1/admin/social/media/<name>")
    info = await storage.stat(key)
    if info is None:
        raise MediaRefused(f"no stored file {key!r}")
    content_type = info.content_type.split(";", 1)[0].strip().lower()
    actual = "video" if content_type.startswith("video/") else "image" if content_type in IMAGE_TYPES else None
    if actual is None:
        raise MediaRefused(f"the file {key!r} is {content_type}, neither an image nor a video")
    if media_type is not None and media_type != actual:
        raise MediaRefused(f"media_type is {media_type} but the file {key!r} is {content_type}")
    for platform in platforms:
        limit = cfg.max_bytes(platform, actual)
        if info.size > limit:
            raise MediaRefused(f"the {actual} is {_mb(info.size)}, over {platform.capitalize()}'s "
                               f"limit of {_mb(limit)}")
        if platform == "instagram" and actual == "image" and content_type not in INSTAGRAM_IMAGE_TYPES:
            raise MediaRefused(f"Instagram takes JPEG images only; the file {key!r} is {content_type}")
    return Media(public_file_url(settings, key), actual, key, info.size, content_type)


def _type_from_path(path: str) -> str:
    return "video" if path.lower().rsplit(".", 1)[-1] in ("mp4", "mov", "m4v", "webm") else "image"


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
