"""Chat session ids and the tokens that prove a visitor owns one.

Ids are 128 random bits (unguessable); a token is an HMAC-SHA256 of the id under the platform secret,
so checking ownership needs no database row and a token for one session never opens another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

SESSION_PREFIX = "cs_"
VISITOR_PREFIX = "vs_"
_SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_-]{22,64}$")
_VISITOR_ID = re.compile(r"^vs_[A-Za-z0-9_-]{22,64}$")
_TOKEN_CONTEXT = b"comptoir.chat-session.v1:"
_VISITOR_CONTEXT = b"comptoir.visitor.v1:"
_SESSION_VISITOR_CONTEXT = b"comptoir.session-visitor.v1:"


def new_session_id() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(16)


def is_session_id(value: str) -> bool:
    return bool(_SESSION_ID.match(value))


def _sign(secret: str, context: bytes, value: str) -> str:
    digest = hmac.new(secret.encode(), context + value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_session(secret: str, session_id: str) -> str:
    return _sign(secret, _TOKEN_CONTEXT, session_id)


def verify_session(secret: str, session_id: str, token: str | None) -> bool:
    if not token:
        return False
    return hmac.compare_digest(sign_session(secret, session_id), token)


def token_from_headers(authorization: str | None, x_session_token: str | None) -> str | None:
    """`Authorization: Bearer <token>` or `X-Session-Token: <token>`."""
    if x_session_token:
        return x_session_token.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


def session_visitor(secret: str, session_id: str) -> tuple[str, str]:
    """The visitor of a session whose client keeps no visitor credential (an API client, a browser
    that refuses storage): derived from the session id under the secret, so every turn of the session
    has the same visitor and long-term context, and nobody can derive it without the secret."""
    visitor_id = VISITOR_PREFIX + _sign(secret, _SESSION_VISITOR_CONTEXT, session_id)[:22]
    return visitor_id, f"{visitor_id}.{_sign(secret, _VISITOR_CONTEXT, visitor_id)}"


def visitor_from(secret: str, credential: str | None) -> str | None:
    """The visitor id of a credential this gateway issued, else None (a forged id gets no one's context)."""
    if not credential:
        return None
    visitor_id, _, signature = credential.partition(".")
    if not _VISITOR_ID.match(visitor_id):
        return None
    return visitor_id if hmac.compare_digest(_sign(secret, _VISITOR_CONTEXT, visitor_id), signature) else None
