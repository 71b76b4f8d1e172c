"""Admin API (bearer GATEWAY_ADMIN_TOKEN): incidents, logs, leads, quotes, runtime flags, company facts,
prompts."""

from __future__ import annotations

import hmac
import json
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from libs.common.flags import FlagError, check_flag
from services.gateway import repo
from services.gateway.deps import Gateway, GatewayDep, get_gateway
from services.gateway.errors import ApiError

_FLAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


async def require_admin(request: Request, gw: Annotated[Gateway, Depends(get_gateway)]) -> None:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    expected = gw.config.admin_token.get_secret_value()
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "admin_token_required", "send the admin token as Authorization: Bearer",
                       {"WWW-Authenticate": "Bearer"})
    if not expected or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(403, "bad_admin_token", "this admin token is not valid")


router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require_admin)])
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


class Page(BaseModel):
    items: list[dict[str, Any]]
    limit: int
    offset: int


class FlagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="true or false: every known flag is a boolean (libs/common/flags.py); "
                                   "services read flags live")


class FactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=5000)
    category: Literal["general", "product", "policy", "contact", "shipping"] | None = None


class PromptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=20_000)


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: dict[str, Any] = Field(description="the whole JSON object stored under the key")
    description: str | None = Field(None, max_length=500)


# chat_config keys the chat service reads (docs/chat.md), with the values that make sense
CHAT_CONFIG_RANGES: dict[str, tuple[int, int]] = {
    "maxTurns": (1, 1000), "sessionTtlDays": (1, 3650), "topicLockTurns": (1, 100),
}
CONFIG_MAX_BYTES = 64 * 1024


def _check_config(key: str, value: dict[str, Any]) -> None:
    if key == "runtime_flags":
        raise ApiError(422, "flags_live_elsewhere",
                       "runtime flags live in app_runtime_state: use PUT /v1/admin/flags/{key}")
    if len(json.dumps(value)) > CONFIG_MAX_BYTES:
        raise ApiError(422, "config_too_large", f"a config value is at most {CONFIG_MAX_BYTES} bytes of JSON")
    if key != "chat_config":
        return
    unknown = sorted(set(value) - set(CHAT_CONFIG_RANGES))
    if unknown:
        raise ApiError(422, "unknown_chat_config_key",
                       f"unknown chat_config key(s) {unknown}; known: {sorted(CHAT_CONFIG_RANGES)}")
    for name, number in value.items():
        low, high = CHAT_CONFIG_RANGES[name]
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise ApiError(422, "invalid_chat_config", f"chat_config.{name} must be an integer from {low} to {high}")


def _check_name(name: str, what: str) -> None:
    if not _FLAG_NAME.match(name):
        raise ApiError(422, f"invalid_{what}_name", f"{what} names are letters, digits, _ . - (max 64)")


@router.get("/security/incidents", response_model=Page)
async def incidents(gw: GatewayDep, type: str | None = None, severity: str | None = None,
                    resolved: bool | None = None, limit: Limit = 50, offset: Offset = 0) -> Page:
    items = await repo.list_incidents(gw.pool, type_=type, severity=severity, resolved=resolved,
                                      limit=limit, offset=offset)
    return Page(items=items, limit=limit, offset=offset)


@router.get("/logs", response_model=Page)
async def admin_logs(gw: GatewayDep, level: str | None = None, category: str | None = None,
                     session_id: str | None = None, limit: Limit = 50, offset: Offset = 0) -> Page:
    items = await repo.list_admin_logs(gw.pool, level=level, category=category, session_id=session_id,
                                       limit=limit, offset=offset)
    return Page(items=items, limit=limit, offset=offset)


@router.get("/leads", response_model=Page)
async def leads(gw: GatewayDep, min_score: Annotated[int | None, Query(ge=0, le=1000)] = None,
                limit: Limit = 50, offset: Offset = 0) -> Page:
    items = await repo.list_leads(gw.pool, min_score=min_score, limit=limit, offset=offset)
    return Page(items=items, limit=limit, offset=offset)


@router.get("/quotes", response_model=Page)
async def quotes(gw: GatewayDep, status: str | None = None, limit: Limit = 50, offset: Offset = 0) -> Page:
    items = await repo.list_quotes(gw.pool, status=status, limit=limit, offset=offset)
    return Page(items=items, limit=limit, offset=offset)


@router.get("/flags")
async def flags(gw: GatewayDep) -> dict[str, Any]:
    return {"flags": await repo.list_flags(gw.pool)}


@router.put("/flags/{key}")
async def set_flag(key: str, body: FlagIn, gw: GatewayDep) -> dict[str, Any]:
    """A known flag, set to true or false; an unknown name or any other value is a 422 with the reason."""
    try:
        value = check_flag(key, body.value)
    except FlagError as exc:
        raise ApiError(422, exc.code, exc.reason) from exc
    return await repo.set_flag(gw.pool, key, value)


@router.get("/facts")
async def facts(gw: GatewayDep) -> dict[str, Any]:
    return {"facts": await repo.list_facts(gw.pool)}


@router.put("/facts/{key}")
async def set_fact(key: str, body: FactIn, gw: GatewayDep) -> dict[str, Any]:
    """Each change bumps the fact's version and is kept in app_company_facts_versions."""
    _check_name(key, "fact")
    return await repo.set_fact(gw.pool, key, body.value, body.category)


@router.get("/prompts")
async def prompts(gw: GatewayDep) -> dict[str, Any]:
    return {"prompts": await repo.list_prompts(gw.pool)}


@router.put("/prompts/{name}")
async def set_prompt(name: str, body: PromptIn, gw: GatewayDep) -> dict[str, Any]:
    _check_name(name, "prompt")
    return await repo.set_prompt(gw.pool, name, body.content)


@router.get("/config")
async def admin_config(gw: GatewayDep) -> dict[str, Any]:
    return {"config": await repo.list_admin_config(gw.pool)}


@router.put("/config/{key}")
async def set_admin_config(key: str, body: ConfigIn, gw: GatewayDep) -> dict[str, Any]:
    """Replace one app_admin_config value: `chat_config` (read by chat within CHAT_CONFIG_CACHE_S),
    `rate_limits` (read by security within a few seconds) or a key of your own."""
    _check_name(key, "config")
    _check_config(key, body.value)
    return await repo.set_admin_config(gw.pool, key, body.value, body.description)
