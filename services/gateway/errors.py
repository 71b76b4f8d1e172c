"""HTTP error shape and handlers: every failure answers `{"error": code, "detail": reason}`."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from libs.common.db import database_gone
from libs.common.errors import (
    DATABASE_UNAVAILABLE,
    REQUEST_IN_PROGRESS,
    ConfigurationError,
    RemoteError,
    RequestTimeout,
)
from libs.common.logging import get_logger

log = get_logger("gateway.errors")


class ApiError(Exception):
    """An error answered as is to the client (status, machine code, human reason, extra headers)."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


# The domain errors the owner's services answer requests with (docs/agents.md, docs/workflows.md),
# as the HTTP statuses of the admin API and the console: a client's mistake or a state conflict,
# never a 502. Codes not listed go to the generic handler below (`bad_request` is a 400 there).
DOMAIN_STATUS: dict[str, int] = {
    "not_found": 404,
    "unknown_agent": 422, "unknown_tool": 422, "invalid_budget": 422, "invalid_arguments": 422,
    "approval_closed": 409, "run_finished": 409,
    "invalid_post": 422, "invalid_state": 409,
    "name_conflict": 409, "conflict": 409, "invalid_workflow": 422,
}


def domain_error(exc: RemoteError, statuses: dict[str, int] = DOMAIN_STATUS) -> Exception:
    """The ApiError for a service's domain error code; any other RemoteError as it is."""
    status = statuses.get(exc.code)
    return ApiError(status, exc.code, exc.message) if status else exc


def error_response(
    status: int, code: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def _validation_reason(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.detail, exc.headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
    code = codes.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, exc.detail, dict(exc.headers or {}))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid_request", _validation_reason(exc))


async def _timeout(request: Request, exc: Exception) -> JSONResponse:
    log.warning("upstream_timeout", path=request.url.path, error=str(exc))
    return error_response(504, "upstream_timeout", "a backend service did not answer in time; retry later")


RETRY_AFTER_S = 5
UNAVAILABLE_CODES = frozenset({"broker_unavailable", "unavailable"})
# backend errors answered 503 with Retry-After (inside a stream: the `error` event's code as is)
RETRYABLE_CODES = UNAVAILABLE_CODES | {DATABASE_UNAVAILABLE}


def broker_unavailable_response() -> JSONResponse:
    return error_response(503, "broker_unavailable",
                          "the service is briefly unavailable (message broker unreachable); retry shortly",
                          {"Retry-After": str(RETRY_AFTER_S)})


async def _remote(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RemoteError)
    if exc.code == "bad_request":
        return error_response(400, "bad_request", exc.message)
    if exc.code == REQUEST_IN_PROGRESS:  # the same request (Idempotency-Key) is still being handled
        return error_response(409, "request_in_progress", "this request is still being handled; retry shortly",
                              {"Retry-After": "1"})
    if exc.code in UNAVAILABLE_CODES:  # the broker is away, or no replica consumes the request yet
        log.warning("broker_unavailable", path=request.url.path, code=exc.code, error=exc.message)
        if exc.code == "broker_unavailable":
            return broker_unavailable_response()
        return error_response(503, "unavailable", "a backend service is not running; retry shortly",
                              {"Retry-After": str(RETRY_AFTER_S)})
    if exc.code == DATABASE_UNAVAILABLE:  # a backend lost the database under the request: nothing stored
        log.warning("database_unavailable", path=request.url.path, error=exc.message)
        return database_unavailable_response()
    log.warning("upstream_error", path=request.url.path, code=exc.code, error=exc.message)
    return error_response(502, "upstream_error", f"a backend service failed ({exc.code})")


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("dependency_unavailable", path=request.url.path, error=str(exc))
    return error_response(503, "unavailable", str(exc))


async def _bad_value(request: Request, exc: Exception) -> JSONResponse:
    # a value the database or UTF-8 cannot hold that got past validation: the client's input, not our fault
    log.warning("bad_value", path=request.url.path, error=type(exc).__name__)
    return error_response(400, "invalid_value", "a value in the request cannot be stored or encoded")


def database_unavailable_response(code: str = DATABASE_UNAVAILABLE) -> JSONResponse:
    return error_response(503, code, "a backing service is briefly unreachable; retry shortly",
                          {"Retry-After": str(RETRY_AFTER_S)})


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
    return database_unavailable_response(DATABASE_UNAVAILABLE if database_gone(exc) else "unavailable")


async def _os_error(request: Request, exc: Exception) -> JSONResponse:
    """An OSError from asyncpg (e.g. the Unix socket file gone while Postgres restarts) is the database
    being away; any other is unexpected."""
    if database_gone(exc):
        return await _database_unavailable(request, exc)
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", path=request.url.path)
    return error_response(500, "internal", "unexpected server error; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RequestTimeout, _timeout)
    app.add_exception_handler(RemoteError, _remote)
    app.add_exception_handler(ConfigurationError, _unavailable)
    for bad in (UnicodeEncodeError, RecursionError, asyncpg.exceptions.DataError):
        app.add_exception_handler(bad, _bad_value)
    for gone in (asyncpg.exceptions.PostgresConnectionError, asyncpg.exceptions.ConnectionDoesNotExistError,
                 asyncpg.exceptions.InterfaceError, asyncpg.exceptions.OperatorInterventionError,
                 asyncpg.exceptions.InternalClientError,
                 ConnectionError, TimeoutError):
        app.add_exception_handler(gone, _database_unavailable)
    app.add_exception_handler(OSError, _os_error)
    app.add_exception_handler(Exception, _unexpected)
