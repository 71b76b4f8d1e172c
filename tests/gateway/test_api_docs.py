"""Offline API docs: Swagger UI from the installed package (no CDN), the admin bearer scheme."""

from __future__ import annotations

import re

import httpx


async def test_swagger_ui_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/docs/assets/swagger-ui-bundle.js" in sources and "/docs/assets/swagger-ui.css" in sources
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
    assert "/openapi.json" in page.text
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("application/javascript")
    assert len(script.content) > 100_000 and b"SwaggerUIBundle" in script.content
    css = await client.get("/docs/assets/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


async def test_only_the_page_assets_are_served(client: httpx.AsyncClient) -> None:
    for name in ("index.html", "..%2F__init__.py", "swagger-ui.js.map"):
        response = await client.get(f"/docs/assets/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"] == "not_found"
    assert (await client.get("/redoc")).status_code == 404  # no offline ReDoc script to serve


async def test_openapi_declares_the_admin_bearer_scheme(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["adminBearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    admin = [op for path, ops in spec["paths"].items() if path.startswith("/v1/admin") for op in ops.values()]
    assert admin and all(op["security"] == [{"adminBearer": []}] for op in admin)
    chat = spec["paths"]["/v1/chat/messages"]["post"]
    assert "security" not in chat
    assert not any(path.startswith("/docs") for path in spec["paths"])
