"""Jinja2 rendering of console pages (autoescaped), with the words of the page's language."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.gateway.console import assets, i18n
from services.gateway.console.users import LoginSession

HERE = Path(__file__).parent


@cache
def static_asset(name: str) -> assets.Asset | None:
    path = HERE / "static" / name
    kinds = {".css": "text/css; charset=utf-8", ".js": "application/javascript; charset=utf-8"}
    if path.suffix not in kinds or not path.is_file():
        return None
    return assets.asset(path.read_bytes(), kinds[path.suffix])


def static_version(name: str) -> str:
    found = static_asset(name)
    return found.version if found else "0"


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters["when"] = _when
    env.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False, default=str)[:400]
    return env


def _when(value: Any) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return str(value.strftime("%Y-%m-%d %H:%M"))
    return str(value)


def reason(t: Any, code: str) -> str:
    """The words for a field error code (`integer_range:1:100`, `invalid_hours:why`, `too_long`…)."""
    name, _, rest = code.partition(":")
    if name == "integer_range":
        low, _, high = rest.partition(":")
        return str(t(name, low=low, high=high))
    if name == "invalid_hours":
        return str(t(name, reason=rest))
    if name == "too_long":
        return str(t(name, n=rest or 4000))
    return str(t(name))


def page(request: Request, template: str, login: LoginSession | None, status: int = 200,
         **context: Any) -> HTMLResponse:
    locale = i18n.locale_of(request)
    t = i18n.translator(locale)
    html = environment().get_template(template).render(
        t=t, reason=lambda code: reason(t, code), locale=locale, login=login, user=login.user if login else None,
        csrf=login.csrf if login else "", path=request.url.path, static_version=static_version,
        query=request.query_params, **context)
    response = HTMLResponse(html, status_code=status, headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                   "script-src 'self'; frame-ancestors 'none'; form-action 'self'"})
    if request.query_params.get("lang") in i18n.LOCALES:
        response.set_cookie(i18n.COOKIE, request.query_params["lang"], max_age=365 * 86400, samesite="lax",
                            path="/admin")
    return response
