"""Console login: cookie sessions, CSRF tokens, login rate limiting (security service), roles.

- The session cookie (`comptoir_console`) is HttpOnly, SameSite=Lax, Secure in production, and holds
  a random token whose SHA-256 is the session row's key (console/users.py).
- Every state-changing request carries the session's CSRF token (a hidden `csrf` field, or the
  `X-CSRF-Token` header from console.js); the login form carries an HMAC of a pre-session cookie.
- Login attempts are counted by the security service (`security.check_rate_limit`, route
  `console.login:<account hash>` and the client's IP) before the password is checked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from libs.common.events.security import CheckRateLimit, RateLimitDecision
from services.gateway.console import users
from services.gateway.deps import Gateway, client_ip

COOKIE = "comptoir_console"
PRE_COOKIE = "comptoir_console_pre"
SESSION_TTL = timedelta(hours=12)
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """No valid session (or a stale form): back to the login page, then to `next`."""

    def __init__(self, next_path: str, reason: str | None = None, status: int = 303) -> None:
        super().__init__(reason or "login required")
        self.next_path = next_path
        self.reason = reason
        self.status = status


class Forbidden(Exception):
    """Logged in, but this page is the owner's."""


def secure_cookies(gw: Gateway) -> bool:
    return gw.settings.environment == "production"


def set_session_cookie(response: Response, gw: Gateway, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=int(SESSION_TTL.total_seconds()), httponly=True,
                        secure=secure_cookies(gw), samesite="lax", path="/admin")


def clear_session_cookie(response: Response, gw: Gateway) -> None:
    response.delete_cookie(COOKIE, path="/admin", httponly=True, secure=secure_cookies(gw), samesite="lax")


def login_url(next_path: str, reason: str | None = None) -> str:
    url = "/admin/login?next=" + quote(next_path, safe="/")
    return url + (f"&reason={reason}" if reason else "")


def safe_next(value: str | None) -> str:
    """Only a path of this console: never an open redirect."""
    if not value or not value.startswith("/admin") or value.startswith("//") or "\\" in value:
        return "/admin/conversations"
    return value[:500]


async def current(request: Request, gw: Gateway) -> users.LoginSession | None:
    return await users.session_for(gw.pool, request.cookies.get(COOKIE))


def page_of(request: Request) -> str:
    """The console page a request came from: where to go back after logging in again (a form's
    action is a POST-only address, its page is the referrer)."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = request.headers.get("referer") or ""
    return safe_next("/admin" + referer.split("/admin", 1)[1] if "/admin" in referer else None)


async def require(request: Request, gw: Gateway, *, owner: bool = False) -> users.LoginSession:
    login = await current(request, gw)
    if login is None:
        raise LoginRequired(page_of(request))
    if owner and not login.user.is_owner:
        raise Forbidden()
    return login


def check_csrf(request: Request, login: users.LoginSession, sent: str | None) -> None:
    token = sent or request.headers.get(CSRF_HEADER) or ""
    if not token or not hmac.compare_digest(token.encode(), login.csrf.encode()):
        raise LoginRequired(page_of(request), "expired", status=403)


# ---- the login form's own CSRF: an HMAC of a random pre-session cookie --------------------------
def pre_token(request: Request) -> str:
    return request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(18)


def login_csrf(gw: Gateway, pre: str) -> str:
    return hmac.new(gw.secret.encode(), b"console-login:" + pre.encode(), hashlib.sha256).hexdigest()


def check_login_csrf(request: Request, gw: Gateway, sent: str | None) -> bool:
    pre = request.cookies.get(PRE_COOKIE)
    return bool(pre and sent and hmac.compare_digest(login_csrf(gw, pre), sent))


async def login_rate(request: Request, gw: Gateway, email: str) -> RateLimitDecision:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]
    ip = client_ip(request, gw.config.trust_forwarded_for)
    req = CheckRateLimit(ip=ip, route=f"console.login:{account}", scopes=["ip", "route"])
    return await gw.rpc.request(CheckRateLimit.TYPE, req, RateLimitDecision,
                                timeout=gw.config.security_timeout_s)
