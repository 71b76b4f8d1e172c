"""Console pages beyond conversations. Leads and quotes: every console user. The others are the
owner's (an adviser gets 403): incidents (resolve, asked of security), logs, knowledge base (commands
to rag), company facts and prompts (history, diff, rollback; the gateway's tables), runtime flags,
chat configuration."""

from __future__ import annotations

import difflib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from libs.common.events.rag import DeleteKnowledgeSource, IngestDocument
from libs.common.events.security import IncidentResolution, ResolveIncident
from libs.common.outbox import add_event
from libs.storage import StorageError
from services.gateway import repo
from services.gateway.console import audit, auth, console_repo, hours
from services.gateway.console.render import page
from services.gateway.console.users import User
from services.gateway.deps import Gateway, GatewayDep
from services.gateway.errors import ApiError

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE = 50
MAX_UPLOAD = 5 * 1024 * 1024
UPLOAD_FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html", ".htm": "html",
                  ".pdf": "pdf"}
FACT_CATEGORIES = ("general", "product", "policy", "contact", "shipping")
Csrf = Annotated[str, Form(max_length=200)]


def _offset(request: Request) -> int:
    try:
        return max(0, min(1_000_000, int(request.query_params.get("offset", "0"))))
    except ValueError:
        return 0


def _opt(request: Request, name: str, allowed: tuple[str, ...] | None = None) -> str | None:
    value = (request.query_params.get(name) or "").strip()[:100] or None
    if allowed is not None and value not in allowed:
        return None
    return value


def _done(path: str, **flags: str) -> RedirectResponse:
    query = "&".join(f"{k}={v}" for k, v in flags.items())
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)


# ---- leads and quotes (every console user) -------------------------------------------------------
@router.get("/leads")
async def leads(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw)
    offset = _offset(request)
    items = await console_repo.leads(gw.pool, PAGE, offset)
    return page(request, "leads.html", login, items=items, offset=offset, page_size=PAGE)


@router.get("/quotes")
async def quotes(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw)
    offset = _offset(request)
    status = _opt(request, "status", ("pending", "paid", "expired", "cancelled", "draft"))
    items = await repo.list_quotes(gw.pool, status=status, limit=PAGE, offset=offset)
    return page(request, "quotes.html", login, items=items, offset=offset, page_size=PAGE, quote_status=status)


# ---- security incidents -------------------------------------------------------------------------
SEVERITIES = ("low", "medium", "high", "critical")
TYPES = ("injection", "disclosure", "role_override", "anomaly", "rate_limit")


@router.get("/incidents")
async def incidents(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    resolved_q = request.query_params.get("resolved")
    resolved = {"yes": True, "no": False}.get(resolved_q or "")
    offset = _offset(request)
    items = await repo.list_incidents(gw.pool, type_=_opt(request, "type", TYPES),
                                      severity=_opt(request, "severity", SEVERITIES), resolved=resolved,
                                      limit=PAGE, offset=offset)
    return page(request, "incidents.html", login, items=items, offset=offset, page_size=PAGE, types=TYPES,
                severities=SEVERITIES, resolved=resolved_q, done=request.query_params.get("done"))


@router.post("/incidents/{incident_id}/resolve")
async def resolve_incident(incident_id: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                           note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    if len(note) > 2000:
        items = await repo.list_incidents(gw.pool, type_=None, severity=None, resolved=None, limit=PAGE, offset=0)
        return page(request, "incidents.html", login, status=422, items=items, offset=0, page_size=PAGE,
                    types=TYPES, severities=SEVERITIES, resolved=None, done=None,
                    field_errors={incident_id: "too_long"}, drafts={incident_id: note})
    req = ResolveIncident(incident_id=incident_id[:100], note=note.strip(), resolved_by=login.user.email)
    result = await gw.rpc.request(ResolveIncident.TYPE, req, IncidentResolution)
    if not result.found:
        return page(request, "message.html", login, status=404, message_key="not_found")
    await audit.record(gw.pool, login.user, "resolved", f"incident {incident_id}", note=note.strip()[:500])
    return _done("/admin/incidents", done=incident_id)


# ---- logs ---------------------------------------------------------------------------------------
@router.get("/logs")
async def logs(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    offset = _offset(request)
    level = _opt(request, "level", ("info", "warn", "error", "security"))
    category = _opt(request, "category")
    items = await repo.list_admin_logs(gw.pool, level=level, category=category, session_id=None, limit=PAGE,
                                       offset=offset)
    return page(request, "logs.html", login, items=items, offset=offset, page_size=PAGE, level=level,
                category=category or "")


# ---- knowledge base (commands to rag through the outbox) ----------------------------------------
@router.get("/knowledge")
async def knowledge(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    docs = await console_repo.documents(gw.pool, PAGE, _offset(request))
    return page(request, "knowledge.html", login, docs=docs, queued=request.query_params.get("queued"),
                errors={}, values={})


async def _command(gw: GatewayDep, message: Any, login_user: Any, action: str, target: str) -> None:
    async with gw.pool.acquire() as conn, conn.transaction():
        await add_event(conn, message, source="gateway")
        await audit.record(conn, login_user, action, target)


@router.post("/knowledge/upload")
async def upload(request: Request, gw: GatewayDep, file: UploadFile, csrf: Csrf = "",
                 category: Annotated[str, Form(max_length=200)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    name = (file.filename or "").strip().replace("\\", "/").split("/")[-1][:200]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    data = await file.read(MAX_UPLOAD + 1)
    error = None
    if suffix not in UPLOAD_FORMATS:
        error = "upload_hint"
    elif not data.strip():
        error = "empty_file"
    elif len(data) > MAX_UPLOAD:
        error = "file_too_large"
    fmt = UPLOAD_FORMATS.get(suffix, "text")
    text = ""
    if error is None and fmt == "pdf" and not data.startswith(b"%PDF-"):
        error = "not_a_pdf"
    elif error is None and fmt != "pdf":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            error = "upload_hint"
    if error is not None:
        docs = await console_repo.documents(gw.pool, PAGE, 0)
        return page(request, "knowledge.html", login, status=422, docs=docs, queued=None,
                    errors={"file": error}, values={"category": category})
    title, category_or_none = name.rsplit(".", 1)[0], category.strip() or None
    if fmt == "pdf":  # binary: stored in the file store, where rag reads it (libs/storage)
        key = await _store_upload(gw, name, data)
        command = IngestDocument(source=f"upload:{name}", file_key=key, title=title, category=category_or_none,
                                 format="pdf")
    else:
        command = IngestDocument(source=f"upload:{name}", text=text, title=title, category=category_or_none,
                                 format=fmt)
    await _command(gw, command, login.user, "uploaded", f"document {name}")
    return _done("/admin/knowledge", queued=name)


async def _store_upload(gw: Gateway, name: str, data: bytes) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip("._-")[:150] or "document.pdf"
    key = f"uploads/{uuid.uuid4().hex}/{safe}"
    try:
        await gw.files.put(key, data, "application/pdf")
    except StorageError as exc:
        raise ApiError(503, "storage_unavailable", "the file store did not answer; retry shortly",
                       headers={"Retry-After": "5"}) from exc
    return key


@router.post("/knowledge/url")
async def add_url(request: Request, gw: GatewayDep, csrf: Csrf = "",
                  url: Annotated[str, Form(max_length=2000)] = "",
                  category: Annotated[str, Form(max_length=200)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    url = url.strip()
    if not url.startswith(("http://", "https://")) or " " in url or len(url) < 10:
        docs = await console_repo.documents(gw.pool, PAGE, 0)
        return page(request, "knowledge.html", login, status=422, docs=docs, queued=None,
                    errors={"url": "invalid_url"}, values={"url": url, "category": category})
    command = IngestDocument(source=url, url=url, category=category.strip() or None, format="html")
    await _command(gw, command, login.user, "added_url", url)
    return _done("/admin/knowledge", queued="url")


@router.post("/knowledge/reindex")
async def reindex(request: Request, gw: GatewayDep, csrf: Csrf = "",
                  source: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """A web page is fetched again; a file is re-chunked and re-embedded from its stored passages."""
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    doc = await console_repo.document_text(gw.pool, source)
    if doc is None:
        return page(request, "message.html", login, status=404, message_key="not_found")
    if source.startswith(("http://", "https://")):
        command = IngestDocument(source=source, url=source, category=doc["category"], format="html")
    else:
        command = IngestDocument(source=source, text=doc["text"], title=doc["title"], category=doc["category"],
                                 language=doc["language"] or "fr", format="text")
    await _command(gw, command, login.user, "reindexed", source)
    return _done("/admin/knowledge", queued="reindex")


@router.post("/knowledge/delete")
async def delete_source(request: Request, gw: GatewayDep, csrf: Csrf = "",
                        source: Annotated[str, Form(max_length=2000)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    if not source.strip():
        return page(request, "message.html", login, status=404, message_key="not_found")
    await _command(gw, DeleteKnowledgeSource(source=source), login.user, "deleted", source)
    return _done("/admin/knowledge", queued="delete")


# ---- company facts and prompts: edit, history with diff, rollback --------------------------------
def _diff(old: str | None, new: str) -> list[tuple[str, str]]:
    lines = difflib.unified_diff((old or "").splitlines(), new.splitlines(), lineterm="", n=2)
    out = []
    for line in list(lines)[2:]:
        kind = "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx"
        out.append((kind, line))
    return out


@router.get("/facts")
async def facts(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    return page(request, "facts.html", login, facts=await repo.list_facts(gw.pool), categories=FACT_CATEGORIES,
                errors={}, values={}, saved=request.query_params.get("saved"))


def _fact_error(key: str, value: str) -> tuple[str, str] | None:
    if not console_repo.NAME.match(key):
        return "key", "required"
    if not value.strip():
        return "value", "required"
    if len(value) > 5000:
        return "value", "too_long"
    if key == "opening_hours":
        try:
            hours.parse(value)
        except hours.HoursError as exc:
            return "value", f"invalid_hours:{exc}"
    return None


@router.post("/facts")
async def save_fact(request: Request, gw: GatewayDep, csrf: Csrf = "",
                    key: Annotated[str, Form(max_length=200)] = "",
                    value: Annotated[str, Form(max_length=10000)] = "",
                    category: Annotated[str, Form(max_length=50)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    key = key.strip()
    problem = _fact_error(key, value)
    if problem is not None:
        return page(request, "facts.html", login, status=422, facts=await repo.list_facts(gw.pool),
                    categories=FACT_CATEGORIES, errors={problem[0]: problem[1]},
                    values={"key": key, "value": value, "category": category}, saved=None)
    chosen = category if category in FACT_CATEGORIES else None
    await console_repo.set_fact(gw.pool, login.user, key, value.strip(), chosen)
    return _done("/admin/facts", saved=key)


async def _history(request: Request, gw: Gateway, kind: str, name: str,
                   versions_of: Callable[[asyncpg.Pool, str], Awaitable[list[dict[str, Any]]]]) -> Response:
    login = await auth.require(request, gw, owner=True)
    versions = await versions_of(gw.pool, name)
    if not versions:
        return page(request, "message.html", login, status=404, message_key="not_found")
    for v in versions:
        v["diff"] = _diff(v["old_value"], v["new_value"])
    return page(request, "history.html", login, kind=kind, name=name, versions=versions)


async def _rollback(request: Request, gw: Gateway, csrf: str, kind: str, name: str, version: int,
                    value_at: Callable[[asyncpg.Pool, str, int], Awaitable[str | None]],
                    restore: Callable[[User, str], Awaitable[int]]) -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    value = await value_at(gw.pool, name, version)
    if value is None:
        return page(request, "message.html", login, status=404, message_key="not_found")
    await restore(login.user, value)
    return _done(f"/admin/{kind}", saved=name)


@router.get("/facts/{key}/history")
async def fact_history(key: str, request: Request, gw: GatewayDep) -> Response:
    return await _history(request, gw, "facts", key, console_repo.fact_versions)


@router.post("/facts/{key}/rollback")
async def fact_rollback(key: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                        version: Annotated[int, Form(ge=0, le=1_000_000)] = 0) -> Response:
    return await _rollback(request, gw, csrf, "facts", key, version, console_repo.fact_value_at,
                           lambda user, value: console_repo.set_fact(gw.pool, user, key, value, None,
                                                                     rolled_back_to=version))


@router.get("/prompts")
async def prompts(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    return page(request, "prompts.html", login, prompts=await repo.list_prompts(gw.pool), errors={}, values={},
                saved=request.query_params.get("saved"))


@router.post("/prompts/{name}")
async def save_prompt(name: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                      content: Annotated[str, Form(max_length=40000)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    error = None if console_repo.NAME.match(name) else "required"
    if error is None and not content.strip():
        error = "required"
    elif error is None and len(content) > 20_000:
        error = "too_long"
    if error is not None:
        return page(request, "prompts.html", login, status=422, prompts=await repo.list_prompts(gw.pool),
                    errors={name: error}, values={name: content}, saved=None)
    await console_repo.set_prompt(gw.pool, login.user, name, content.strip())
    return _done("/admin/prompts", saved=name)


@router.get("/prompts/{name}/history")
async def prompt_history(name: str, request: Request, gw: GatewayDep) -> Response:
    return await _history(request, gw, "prompts", name, console_repo.prompt_versions)


@router.post("/prompts/{name}/rollback")
async def prompt_rollback(name: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                          version: Annotated[int, Form(ge=0, le=1_000_000)] = 0) -> Response:
    return await _rollback(request, gw, csrf, "prompts", name, version, console_repo.prompt_value_at,
                           lambda user, content: console_repo.set_prompt(gw.pool, user, name, content,
                                                                         rolled_back_to=version))


# ---- runtime flags and chat configuration --------------------------------------------------------
@router.get("/flags")
async def flags(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    values = await repo.list_flags(gw.pool)
    rows = [(name, console_repo.flag_on(values.get(name), default), what)
            for name, (default, what) in console_repo.KNOWN_FLAGS.items()]
    return page(request, "flags.html", login, rows=rows, error=None, saved=request.query_params.get("saved"))


@router.post("/flags")
async def set_flag(request: Request, gw: GatewayDep, csrf: Csrf = "",
                   name: Annotated[str, Form(max_length=100)] = "",
                   value: Annotated[str, Form(max_length=10)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    if name not in console_repo.KNOWN_FLAGS or value not in ("true", "false"):
        values = await repo.list_flags(gw.pool)
        rows = [(n, console_repo.flag_on(values.get(n), d), w) for n, (d, w) in console_repo.KNOWN_FLAGS.items()]
        return page(request, "flags.html", login, status=422, rows=rows, error=name[:100], saved=None)
    await console_repo.set_flag(gw.pool, login.user, name, value == "true")
    return _done("/admin/flags", saved=name)


CHAT_FIELDS = (("maxTurns", "max_turns", 1, 1000, 50), ("sessionTtlDays", "session_ttl", 1, 3650, 90),
               ("topicLockTurns", "topic_lock", 1, 100, 3))


@router.get("/config")
async def config(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    current = await console_repo.chat_config(gw.pool)
    values = {key: str(current.get(key, default)) for key, _, _, _, default in CHAT_FIELDS}
    return page(request, "config.html", login, fields=CHAT_FIELDS, values=values, errors={},
                saved=request.query_params.get("saved"))


@router.post("/config")
async def save_config(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    form = await request.form()
    auth.check_csrf(request, login, str(form.get("csrf") or ""))
    values = {key: str(form.get(key) or "").strip()[:20] for key, *_ in CHAT_FIELDS}
    errors: dict[str, str] = {}
    parsed: dict[str, int] = {}
    for key, _, low, high, _ in CHAT_FIELDS:
        text = values[key]
        if not text.isdigit() or not low <= int(text) <= high:
            errors[key] = f"integer_range:{low}:{high}"
        else:
            parsed[key] = int(text)
    if errors:
        return page(request, "config.html", login, status=422, fields=CHAT_FIELDS, values=values, errors=errors,
                    saved=None)
    await console_repo.set_chat_config(gw.pool, login.user, parsed)
    return _done("/admin/config", saved="1")


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
