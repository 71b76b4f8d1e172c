"""API docs that work offline: Swagger UI at /docs from the installed `swagger-ui-bundle` package
(no CDN), and the admin bearer scheme in the OpenAPI document.

ReDoc is not served: no Python package ships its standalone script, and the gateway fetches nothing
at run time. The admin token: GATEWAY_ADMIN_TOKEN; in development it defaults to `dev-admin-token`
(refused in production, see GatewaySettings.check_for). Swagger UI's "Authorize" button takes it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from services.gateway.errors import ApiError

ASSETS = Path(swagger_ui_path)
# the files the page loads, and nothing else of the package's folder
SERVED = {"swagger-ui-bundle.js": "application/javascript", "swagger-ui.css": "text/css",
          "favicon-32x32.png": "image/png"}
ADMIN_SCHEME = "adminBearer"
ADMIN_PREFIX = "/v1/admin"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Comptoir gateway — API",
                               swagger_js_url="/docs/assets/swagger-ui-bundle.js",
                               swagger_css_url="/docs/assets/swagger-ui.css",
                               swagger_favicon_url="/docs/assets/favicon-32x32.png",
                               swagger_ui_parameters={"persistAuthorization": True})


@router.get("/docs/assets/{name}")
async def asset(name: str) -> FileResponse:
    if name not in SERVED:
        raise ApiError(404, "not_found", f"no such documentation asset: {name}")
    return FileResponse(ASSETS / name, media_type=SERVED[name], headers={"Cache-Control": "public, max-age=86400"})


def install(app: FastAPI) -> None:
    """Serve /docs and declare the admin bearer scheme on every admin route (call after the routers)."""
    app.include_router(router)
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[ADMIN_SCHEME] = {
            "type": "http", "scheme": "bearer",
            "description": "GATEWAY_ADMIN_TOKEN (development default: dev-admin-token; refused in production)",
        }
        for path, operations in schema.get("paths", {}).items():
            if path.startswith(ADMIN_PREFIX):
                for operation in operations.values():
                    if isinstance(operation, dict):
                        operation["security"] = [{ADMIN_SCHEME: []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
