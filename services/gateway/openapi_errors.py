"""Every error a route can answer, in the OpenAPI document, with the body it really has.

Errors all have one shape (`services/gateway/errors.py`): `{"error": code, "detail": reason}`; a 422's
detail is the list of invalid fields. FastAPI documents 422 with its own `HTTPValidationError`, which is
not what the gateway sends, and knows nothing of the errors raised by admission, rate limits and the
broker. This fills them in, by what a route does:

- every route: 503 (broker or database briefly unreachable, with Retry-After) and 422 in our shape;
- a route with a body: 400 (empty, not UTF-8, malformed JSON, bad text) and 413;
- a route with path parameters: 404;
- routes behind a token (admin, a session's own routes): 401 and 403;
- the chat and webhook routes: 429 (rate limited, with Retry-After).

schemathesis checks the document against the running gateway (tests/resilience/test_api_fuzz.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA = "ErrorBody"
VALIDATION_SCHEMA = "ValidationErrorBody"
_ERROR_BODY: dict[str, Any] = {
    "title": ERROR_SCHEMA, "type": "object", "required": ["error", "detail"],
    "properties": {"error": {"type": "string", "description": "machine-readable code"},
                   "detail": {"description": "the reason, for a human (a list of fields for a 422)"}},
}
_VALIDATION_BODY: dict[str, Any] = {
    "title": VALIDATION_SCHEMA, "type": "object", "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "invalid_request for field errors, else a specific code"},
        "detail": {"anyOf": [
            {"type": "string"},
            {"type": "array", "items": {
                "type": "object", "required": ["loc", "msg", "type"],
                "properties": {"loc": {"type": "array",
                                       "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                               "msg": {"type": "string"}, "type": {"type": "string"}}}},
        ]},
    },
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "string"}}}
DESCRIPTIONS = {
    "400": "malformed request (empty body, not UTF-8, malformed JSON, text that cannot be stored)",
    "401": "credentials missing",
    "403": "credentials do not open this resource",
    "404": "no such resource",
    "409": "conflict with the resource's state",
    "413": "body too large",
    "422": "invalid fields",
    "429": "rate limited (see Retry-After)",
    "503": "briefly unavailable: broker, database or a backend service unreachable (see Retry-After)",
}
_AUTH_PREFIXES = ("/v1/admin", "/admin", "/v1/chat/sessions", "/v1/files")
_LIMITED_PREFIXES = ("/v1/chat", "/v1/webhooks")


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _response(code: str, schema: str = ERROR_SCHEMA) -> dict[str, Any]:
    response: dict[str, Any] = {"description": DESCRIPTIONS[code],
                                "content": {"application/json": {"schema": _ref(schema)}}}
    if code in ("429", "503"):
        response["headers"] = _RETRY_AFTER
    return response


def codes_for(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["503"]
    if method in ("post", "put", "patch") or "requestBody" in operation:
        codes += ["400", "413"]
    if "{" in path:
        codes.append("404")
    if path.startswith(_AUTH_PREFIXES):
        codes += ["401", "403"]
    if path.startswith(_LIMITED_PREFIXES):
        codes.append("429")
    return codes


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA] = _ERROR_BODY
    components[VALIDATION_SCHEMA] = _VALIDATION_BODY
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for code in codes_for(path, method, operation):
                declared = responses.setdefault(code, {"description": DESCRIPTIONS[code]})
                declared.setdefault("content", _response(code)["content"])
                if code in ("429", "503"):
                    declared.setdefault("headers", _RETRY_AFTER)
            # the 422 we send is ours, not FastAPI's HTTPValidationError
            responses["422"] = _response("422", VALIDATION_SCHEMA)
    return schema


def install(app: FastAPI) -> None:
    """Wrap `app.openapi` (whatever it is by now) so the document it builds has every error."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None or ERROR_SCHEMA not in app.openapi_schema.get("components", {}).get(
                "schemas", {}):
            app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
