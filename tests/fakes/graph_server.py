"""A local Facebook / Instagram Graph API server for tests and benchmarks.

It speaks the paths, auth and bodies of the real API (versioned paths `/v21.0/...`):
- `POST /{page-id}/feed` (`message`), `/{page-id}/photos` (`url`, `message`) → `{"id", "post_id"}`,
  `/{page-id}/videos` (`file_url`, `description`);
- `POST /{ig-user-id}/media` (`image_url` | `video_url` + `media_type=REELS`, `caption`) → a container,
  `GET /{container-id}?fields=status_code` (FINISHED, or IN_PROGRESS for `video_processing_polls`
  reads), `POST /{ig-user-id}/media_publish` (`creation_id`; a container publishes once: a second
  publish is error 9007 "media already published");
- `GET /{page-id}/feed`, `GET /{ig-user-id}/media` (lists, newest first), `GET /{object-id}`;
- auth: `Authorization: Bearer <token>` or `access_token`; a wrong token is error 190
  (`OAuthException`, subcode 463 when `expire_token()` was called).
Error bodies are Graph's: `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.

Scripting: `fail_next(kind, code=4, times=1)` answers the next writes of `kind` ("feed", "photos",
"videos", "media", "media_publish") with that error; `lose_next(kind)` creates the object and then
answers 500 (the client cannot know it exists: an unknown outcome); `delay_next(kind, s)` creates it
and answers late (a client time-out).
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes._server import LocalServer

ERRORS: dict[int, tuple[str, str, int]] = {  # code → (type, message, HTTP status)
    4: ("OAuthException", "(#4) Application request limit reached", 400),
    17: ("OAuthException", "(#17) User request limit reached", 400),
    32: ("OAuthException", "(#32) Page request limit reached", 400),
    613: ("OAuthException", "(#613) Calls to this api have exceeded the rate limit.", 400),
    190: ("OAuthException", "Error validating access token: Session has expired.", 400),
    100: ("OAuthException", "(#100) Invalid parameter", 400),
    200: ("OAuthException", "(#200) Permissions error", 403),
    2: ("OAuthException", "An unexpected error has occurred. Please retry your request later.", 500),
}


@dataclass
class Scripted:
    action: str  # "fail" | "lose" | "delay"
    code: int = 0
    delay_s: float = 0.0


@dataclass
class GraphObject:
    id: str
    kind: str  # post | photo | video | container | ig_media
    owner: str
    fields: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)


class FakeGraphServer(LocalServer):
    VERSION = "v21.0"

    def __init__(self, token: str = "page-token-test",  # noqa: S107  (a test token)
                 page_id: str = "1000001", ig_user_id: str = "1780000001") -> None:
        self.token = token
        self.page_id = page_id
        self.ig_user_id = ig_user_id
        self.objects: dict[str, GraphObject] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, params)
        self.script: dict[str, deque[Scripted]] = defaultdict(deque)
        self.video_processing_polls = 0
        self._expired = False
        self._ids = itertools.count(1)

    # ---- scripting ----------------------------------------------------------------------------
    def fail_next(self, kind: str, code: int = 4, times: int = 1) -> None:
        for _ in range(times):
            self.script[kind].append(Scripted("fail", code))

    def lose_next(self, kind: str) -> None:
        self.script[kind].append(Scripted("lose"))

    def delay_next(self, kind: str, delay_s: float) -> None:
        self.script[kind].append(Scripted("delay", delay_s=delay_s))

    def expire_token(self) -> None:
        self._expired = True

    def writes(self, kind: str) -> list[dict[str, Any]]:
        """The parameters of each POST of `kind` received (refused ones included)."""
        return [params for method, path, params in self.requests
                if method == "POST" and path.rsplit("/", 1)[-1] == kind]

    def posts(self) -> list[GraphObject]:
        """One entry per publication (a photo's feed story is not counted apart from its photo)."""
        return [o for o in self.objects.values() if o.kind in ("post", "photo", "video") and "photo_id" not in o.fields]

    def ig_media(self) -> list[GraphObject]:
        return [o for o in self.objects.values() if o.kind == "ig_media"]

    # ---- protocol -----------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route(f"/{self.VERSION}/{{node}}/{{edge}}", self._edge, methods=["GET", "POST"]),
            Route(f"/{self.VERSION}/{{node}}", self._node, methods=["GET"]),
        ])

    @staticmethod
    def error(code: int, subcode: int | None = None) -> JSONResponse:
        kind, message, status = ERRORS[code]
        body: dict[str, Any] = {"message": message, "type": kind, "code": code,
                                "fbtrace_id": uuid.uuid4().hex[:11]}
        if subcode is not None:
            body["error_subcode"] = subcode
        if code in (4, 17, 32, 613, 2):
            body["is_transient"] = True
        return JSONResponse({"error": body}, status_code=status)

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    def _authorized(self, request: Request, params: dict[str, Any]) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else params.pop("access_token", None)
        if not token:
            return JSONResponse({"error": {"message": "An active access token must be used to query "
                                           "information about the current user.", "type": "OAuthException",
                                           "code": 2500, "fbtrace_id": "A1"}}, status_code=400)
        if token != self.token:
            return self.error(190)
        if self._expired:
            return self.error(190, 463)
        return None

    def _new(self, kind: str, owner: str, **fields: Any) -> GraphObject:
        n = next(self._ids)
        oid = f"{owner}_{9000 + n}" if kind == "post" else str(17_900_000_000 + n)
        obj = GraphObject(oid, kind, owner, dict(fields))
        self.objects[oid] = obj
        return obj

    async def _edge(self, request: Request) -> JSONResponse:
        node, edge = request.path_params["node"], request.path_params["edge"]
        params = await self._params(request)
        refused = self._authorized(request, params)
        self.requests.append((request.method, f"/{node}/{edge}", params))
        if refused is not None:
            return refused
        if request.method == "GET":
            return self._list(node, edge, params)
        scripted = self.script[edge].popleft() if self.script[edge] else None
        if scripted is not None and scripted.action == "fail":
            return self.error(scripted.code)
        answer = self._create(node, edge, params)
        if scripted is not None and scripted.action == "lose":
            return self.error(2)
        if scripted is not None and scripted.action == "delay":
            await asyncio.sleep(scripted.delay_s)
        return answer

    def _create(self, node: str, edge: str, params: dict[str, Any]) -> JSONResponse:
        if edge in ("feed", "photos", "videos"):
            if node != self.page_id:
                return self.error(100)
            if edge == "feed":
                if not params.get("message") and not params.get("link"):
                    return self.error(100)
                post = self._new("post", node, message=params.get("message"))
                return JSONResponse({"id": post.id})
            if edge == "photos":
                if not params.get("url"):
                    return self.error(100)
                photo = self._new("photo", node, message=params.get("message"), url=params["url"])
                post_id = f"{node}_{photo.id}"
                photo.fields["post_id"] = post_id
                self.objects[post_id] = GraphObject(post_id, "post", node, {"message": params.get("message"),
                                                                           "photo_id": photo.id})
                return JSONResponse({"id": photo.id, "post_id": post_id})
            if not params.get("file_url"):
                return self.error(100)
            video = self._new("video", node, message=params.get("description"), url=params["file_url"])
            return JSONResponse({"id": video.id})
        if edge in ("media", "media_publish"):
            if node != self.ig_user_id:
                return self.error(100)
            if edge == "media":
                url = params.get("image_url") or params.get("video_url")
                if not url or (params.get("video_url") and params.get("media_type") not in ("REELS", "VIDEO")):
                    return self.error(100)
                status = "IN_PROGRESS" if params.get("video_url") and self.video_processing_polls else "FINISHED"
                container = self._new("container", node, caption=params.get("caption"), url=url,
                                      status_code=status, polls=self.video_processing_polls)
                return JSONResponse({"id": container.id})
            container_obj = self.objects.get(str(params.get("creation_id")))
            if container_obj is None or container_obj.kind != "container":
                return self.error(100)
            if container_obj.fields["status_code"] == "PUBLISHED":
                return JSONResponse({"error": {"message": "The media has already been published",
                                               "type": "OAuthException", "code": 9007, "error_subcode": 2207008,
                                               "fbtrace_id": "A2"}}, status_code=400)
            if container_obj.fields["status_code"] != "FINISHED":
                return JSONResponse({"error": {"message": "Media ID is not available", "type": "OAuthException",
                                               "code": 9007, "error_subcode": 2207027, "fbtrace_id": "A3"}},
                                    status_code=400)
            container_obj.fields["status_code"] = "PUBLISHED"
            media = self._new("ig_media", node, caption=container_obj.fields.get("caption"),
                              timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"))
            return JSONResponse({"id": media.id})
        return self.error(100)

    def _list(self, node: str, edge: str, params: dict[str, Any]) -> JSONResponse:
        since = float(params.get("since", 0) or 0)
        if edge == "feed" and node == self.page_id:
            items = [{"id": o.id, "message": o.fields.get("message"),
                      "created_time": datetime.fromtimestamp(o.created, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")}
                     for o in self.objects.values()
                     if o.kind in ("post", "video") and o.owner == node and o.created >= since - 1]
            return JSONResponse({"data": list(reversed(items))})
        if edge == "media" and node == self.ig_user_id:
            items = [{"id": o.id, "caption": o.fields.get("caption"), "timestamp": o.fields.get("timestamp")}
                     for o in self.objects.values() if o.kind == "ig_media"]
            return JSONResponse({"data": list(reversed(items))})
        return self.error(100)

    async def _node(self, request: Request) -> JSONResponse:
        node = request.path_params["node"]
        params = await self._params(request)
        refused = self._authorized(request, params)
        self.requests.append(("GET", f"/{node}", params))
        if refused is not None:
            return refused
        obj = self.objects.get(node)
        if obj is None:
            return JSONResponse({"error": {"message": f"Unsupported get request. Object with ID '{node}' does "
                                           "not exist", "type": "GraphMethodException", "code": 100,
                                           "error_subcode": 33, "fbtrace_id": "A4"}}, status_code=400)
        if obj.kind == "container" and obj.fields["status_code"] == "IN_PROGRESS":
            obj.fields["polls"] -= 1
            if obj.fields["polls"] <= 0:
                obj.fields["status_code"] = "FINISHED"
            return JSONResponse({"id": obj.id, "status_code": "IN_PROGRESS"})
        body = {"id": obj.id, **{k: v for k, v in obj.fields.items() if k != "polls"}}
        return JSONResponse(body)
