"""Console users and login sessions (tables app_console_users, app_console_sessions; written here).

Passwords are argon2id hashes (argon2-cffi, its default parameters). A login session is a random
token in an HttpOnly cookie; the table keeps only its SHA-256, with the CSRF token of its forms.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

Role = Literal["owner", "adviser"]
ROLES: tuple[Role, ...] = ("owner", "adviser")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# verified against when the e-mail is unknown, so a wrong e-mail costs as much time as a wrong password
_DUMMY_HASH = _hasher.hash("not-a-password-" + secrets.token_hex(8))


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: Role

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


@dataclass(frozen=True)
class LoginSession:
    user: User
    csrf: str
    expires_at: datetime


class UserError(ValueError):
    """Bad input for a user (one line for the CLI or the form)."""


def check_new_user(email: str, role: str, name: str | None, password: str) -> tuple[str, Role, str]:
    email = email.strip()
    if not EMAIL.match(email):
        raise UserError(f"not an e-mail address: {email!r}")
    if role not in ROLES:
        raise UserError(f"role must be owner or adviser, not {role!r}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise UserError("the password is longer than 1024 characters")
    display = (name or email.split("@")[0]).strip()[:100]
    if not display:
        raise UserError("the name is empty")
    return email, role if role == "owner" else "adviser", display


INSERT_USER = """
INSERT INTO app_console_users (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
ON CONFLICT (lower(email)) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,
  password_hash = EXCLUDED.password_hash, active = TRUE, updated_at = NOW()
RETURNING id::TEXT, email, name, role, (xmax = 0) AS created
"""
SELECT_BY_EMAIL = """
SELECT id::TEXT, email, name, role, password_hash FROM app_console_users WHERE lower(email) = lower($1) AND active
"""
INSERT_SESSION = """
INSERT INTO app_console_sessions (token_hash, user_id, csrf_token, expires_at, ip_address, user_agent)
VALUES ($1, $2::UUID, $3, $4, $5, $6)
"""
TOUCH_LOGIN = "UPDATE app_console_users SET last_login_at = NOW() WHERE id = $1::UUID"
REHASH = "UPDATE app_console_users SET password_hash = $2, updated_at = NOW() WHERE id = $1::UUID"
SELECT_SESSION = """
SELECT u.id::TEXT AS id, u.email, u.name, u.role, s.csrf_token, s.expires_at
FROM app_console_sessions s JOIN app_console_users u ON u.id = s.user_id
WHERE s.token_hash = $1 AND s.expires_at > NOW() AND u.active
"""
DELETE_SESSION = "DELETE FROM app_console_sessions WHERE token_hash = $1"
PRUNE_SESSIONS = "DELETE FROM app_console_sessions WHERE expires_at < NOW() - INTERVAL '1 day'"
LIST_USERS = "SELECT id::TEXT, email, name, role, active, last_login_at FROM app_console_users ORDER BY email"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(pool: asyncpg.Pool, email: str, role: str, name: str | None,
                      password: str) -> tuple[User, bool]:
    """Create the user, or reset the name, role and password of an existing one (same e-mail)."""
    email, role_ok, display = check_new_user(email, role, name, password)
    hashed = await asyncio.to_thread(_hasher.hash, password)
    row = await pool.fetchrow(INSERT_USER, email, display, role_ok, hashed)
    assert row is not None
    return User(row["id"], row["email"], row["name"], row["role"]), bool(row["created"])


async def authenticate(pool: asyncpg.Pool, email: str, password: str) -> User | None:
    row = await pool.fetchrow(SELECT_BY_EMAIL, email.strip()[:300])
    stored = row["password_hash"] if row is not None else _DUMMY_HASH
    ok = await asyncio.to_thread(_verify, stored, password[:1024])
    if row is None or not ok:
        return None
    if _hasher.check_needs_rehash(stored):
        await pool.execute(REHASH, row["id"], await asyncio.to_thread(_hasher.hash, password))
    return User(row["id"], row["email"], row["name"], row["role"])


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def open_session(pool: asyncpg.Pool, user: User, ttl: timedelta, ip: str | None,
                       user_agent: str | None) -> tuple[str, LoginSession]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + ttl
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(INSERT_SESSION, _token_hash(token), user.id, csrf, expires, ip,
                           (user_agent or "")[:300] or None)
        await conn.execute(TOUCH_LOGIN, user.id)
        await conn.execute(PRUNE_SESSIONS)
    return token, LoginSession(user, csrf, expires)


async def session_for(pool: asyncpg.Pool, token: str | None) -> LoginSession | None:
    if not token or len(token) > 200:
        return None
    row = await pool.fetchrow(SELECT_SESSION, _token_hash(token))
    if row is None:
        return None
    return LoginSession(User(row["id"], row["email"], row["name"], row["role"]), row["csrf_token"],
                        row["expires_at"])


async def close_session(pool: asyncpg.Pool, token: str | None) -> None:
    if token and len(token) <= 200:
        await pool.execute(DELETE_SESSION, _token_hash(token))


async def list_users(pool: asyncpg.Pool) -> list[dict[str, object]]:
    return [dict(r) for r in await pool.fetch(LIST_USERS)]
