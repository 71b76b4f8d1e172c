"""schemathesis over the gateway's /openapi.json, against the real gateway process (and the real services
behind it): generated requests, with and without the admin token, never get a 5xx, and every answer is one
the schema declares (status code, content type, body schema, 422 bodies included)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks as openapi_checks

from tests.resilience.stack import ADMIN_TOKEN, Stack

pytestmark = pytest.mark.slow
EXAMPLES = 10  # per operation and auth variant: bounded so the whole fuzz run stays short
CHECKS = [schemathesis.checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("admin", [False, True], ids=["anonymous", "admin"])
async def test_no_5xx_and_only_declared_answers(stack: Stack, admin: bool) -> None:
    # in a thread: the fake LLM serves from this event loop, which must keep running meanwhile
    await asyncio.to_thread(_fuzz, stack, admin)


def _fuzz(stack: Stack, admin: bool) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/openapi.json")
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if admin else {}
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation: Any = cast(Any, result).ok()
        operations += 1

        @given(case=operation.as_strategy())
        @FUZZ
        def fuzz(case: Any) -> None:
            case.call_and_validate(base_url=stack.base_url, headers=headers, checks=CHECKS, timeout=40)

        try:
            fuzz()
        except BaseException as exc:  # collect every operation's first failure, then report them all
            failures[f"{operation.method.upper()} {operation.path}"] = _summary(exc)
    assert operations > 10
    assert not failures, "\n\n".join(f"{op}: {why}" for op, why in failures.items())


def _summary(exc: BaseException) -> str:
    parts = [str(e).strip().split("\n\nReproduce")[0][:600] for e in getattr(exc, "exceptions", [exc])]
    return " | ".join(parts)
