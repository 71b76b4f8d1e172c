"""Health, readiness, Prometheus metrics, the widget script and the demo page."""

from __future__ import annotations

import asyncio
from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from libs.common.broker import Names
from libs.common.unrouted import refresh_depth
from services.gateway.console import assets
from services.gateway.deps import Gateway, GatewayDep
from services.gateway.metrics import CONTENT_TYPE

router = APIRouter(tags=["ops"])


@cache
def static_text(name: str) -> str:
    return resources.files("services.gateway").joinpath("static", name).read_text(encoding="utf-8")


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check_db(gw: Gateway) -> str:
    try:
        await asyncio.wait_for(gw.pool.fetchval("SELECT 1"), 2.0)
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


async def _check_broker(gw: Gateway) -> str:
    if gw.connection.is_closed:
        return "error: connection closed"
    if not gw.rpc.ready:  # connection lost or its reply consumer not restored yet
        return "error: reconnecting"
    try:
        channel = await asyncio.wait_for(gw.connection.channel(), 2.0)
        await channel.close()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


async def _check_files(gw: Gateway) -> str:
    """The file store the gateway serves `/v1/files` from (Postgres app_files, or the S3 bucket)."""
    try:
        await asyncio.wait_for(gw.files.check(), 2.0)
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


@router.get("/readyz", summary="Database, broker and file store reachable")
async def readyz(gw: GatewayDep) -> JSONResponse:
    db, broker, files = await asyncio.gather(_check_db(gw), _check_broker(gw), _check_files(gw))
    checks: dict[str, Any] = {"database": db, "broker": broker, "files": files}
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics(gw: GatewayDep) -> Response:
    await refresh_depth(gw.connection, Names(gw.settings).unrouted_queue)  # comptoir_unrouted_messages
    return Response(gw.metrics.render(), media_type=CONTENT_TYPE)


@router.get("/widget.js", include_in_schema=False)
async def widget(request: Request) -> Response:
    """Gzip when accepted, a strong ETag, a year of cache on `/widget.js?v=<version>` (console/assets.py)."""
    script = assets.asset(static_text("widget.js").encode(), "application/javascript; charset=utf-8")
    return assets.serve(request, script)


@router.get("/", include_in_schema=False)
@router.get("/demo", include_in_schema=False)
async def demo(request: Request) -> HTMLResponse:
    locale = "en" if request.query_params.get("lang", "").lower().startswith("en") else "fr"
    page = static_text("demo.html").replace("__LOCALE__", locale)
    if locale == "en":
        page = page.replace('<html lang="fr">', '<html lang="en">')
    return HTMLResponse(page)
