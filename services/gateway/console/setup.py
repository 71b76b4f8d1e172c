"""Wires the console into the gateway app: its routers, its static files, its login redirects."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from services.gateway.console import assets, auth, pages, visitor
from services.gateway.console.render import page, static_asset

static = APIRouter(include_in_schema=False)


@static.get("/admin/static/{name}")
async def static_file(name: str, request: Request) -> Response:
    found = static_asset(name) if "/" not in name and ".." not in name else None
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return assets.serve(request, found)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, auth.LoginRequired)
    if exc.status == 404:
        return page(request, "message.html", None, status=404, message_key="not_found")
    if exc.status == 403:  # a stale form: the login page, refused, with the way back
        from services.gateway.console.pages import login_page

        return login_page(request, request.app.state.gateway, error="expired", status=403,
                           next_path=exc.next_path)
    if request.headers.get("accept", "").startswith("text/event-stream"):
        return Response(status_code=401)
    return RedirectResponse(auth.login_url(exc.next_path, exc.reason), status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    gw = request.app.state.gateway
    return page(request, "message.html", await auth.current(request, gw), status=403, message_key="forbidden")


def install(app: FastAPI) -> None:
    from services.gateway.console import agents_pages, owner_pages, workflows_pages

    app.include_router(pages.router)
    app.include_router(owner_pages.router)
    app.include_router(agents_pages.router)
    app.include_router(workflows_pages.router)  # /admin/workflows and /admin/social
    app.include_router(workflows_pages.social_router)
    app.include_router(visitor.router)
    app.include_router(static)
    app.add_exception_handler(auth.LoginRequired, _login_required)
    app.add_exception_handler(auth.Forbidden, _forbidden)
