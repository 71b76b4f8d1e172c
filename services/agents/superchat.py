"""The owner's super chat (`app_admin_conversation`): requests `agents.admin_chat` and `agents.get_admin_chat`.

The owner asks about the shop and gets answers from the data. With a language model (LLM_* settings,
libs/common/llm.py) the model answers through read-only tools (superchat_data.py) and may start an
objective when asked; without one — or when the model fails, or for a message starting with « / » —
the documented commands answer (superchat_commands.py). Starting an objective is the agents
service's own `agents.create_objective` request (with `start=True`), sent over the broker under a
request id derived from this message's, so a repeated message starts it once.

Each message and its answer are rows of `app_admin_conversation` (metadata: conversation_id,
admin_user, request_id, mode, data, objective_id, run_id). A repeated request (a redelivery, a retry
with the same request id) returns the stored answer: the rows are unique per request id and role
(migration 075). This is the only table the super chat writes.

Wiring: `register(svc)` from services/agents/app.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from libs.common.errors import RemoteError, RequestTimeout
from libs.common.events.agents import (
    AdminChat,
    AdminChatHistory,
    AdminChatMessage,
    AdminChatReply,
    CreateObjective,
    GetAdminChat,
    ObjectiveReply,
)
from libs.common.llm import Completion, LLMClient, LLMError, LLMSettings
from libs.common.logging import get_logger
from libs.common.service import HandlerContext, ServiceApp
from services.agents import superchat_commands as commands
from services.agents import superchat_data as data

log = get_logger("agents.superchat")
DEPS_KEY = "superchat"
LLM_SETTINGS_KEY = "superchat_llm"  # tests may hand in LLMSettings (else the agents' `llm_settings`)
HISTORY_TURNS = 12  # earlier messages given to the model
HISTORY_MAX = 200  # messages `agents.get_admin_chat` returns (the latest)
MAX_ROUNDS = 4  # model calls per owner message
DEADLINE_S = 40.0  # the model's whole answer; after it, the commands answer
STORED_DATA_BYTES = 20_000


@dataclass
class SuperChat:
    llm: LLMClient | None


async def _start(ctx: HandlerContext) -> None:
    given = ctx.deps.get(LLM_SETTINGS_KEY) or ctx.deps.get("llm_settings")  # the agents' own, else LLM_*
    settings = given if isinstance(given, LLMSettings) else LLMSettings()
    ctx.deps[DEPS_KEY] = SuperChat(LLMClient(settings) if settings.configured else None)
    log.info("superchat.ready", llm=settings.configured, model=settings.model if settings.configured else None)


async def _stop(ctx: HandlerContext) -> None:
    chat = ctx.deps.get(DEPS_KEY)
    if isinstance(chat, SuperChat) and chat.llm is not None:
        await chat.llm.aclose()


def register(svc: ServiceApp[Any]) -> None:
    """Adds the super chat's requests and its LLM client to the agents service."""
    svc.on_startup(_start)
    svc.on_shutdown(_stop)
    svc.on_request(AdminChat.TYPE, idempotent=(
        "the message and its answer are stored under the request id (unique per role, migration 075): a "
        "repeat returns the stored answer; an objective is created under an id derived from it"))(admin_chat)
    svc.on_request(GetAdminChat.TYPE, read_only=True)(get_admin_chat)


# ---- the conversation's rows ---------------------------------------------------------------------
STORED_ANSWER = """
SELECT content, metadata FROM app_admin_conversation
WHERE metadata->>'request_id' = $1 AND role = 'assistant' AND metadata ? 'request_id'
"""
INSERT = """
INSERT INTO app_admin_conversation (role, content, metadata, created_at) VALUES ($1, $2, $3, clock_timestamp())
ON CONFLICT ((metadata->>'request_id'), role) WHERE metadata ? 'request_id' DO NOTHING
RETURNING id
"""
USER_ROW = """
SELECT metadata->>'conversation_id' FROM app_admin_conversation
WHERE metadata->>'request_id' = $1 AND role = 'user' AND metadata ? 'request_id'
"""
HISTORY = """
SELECT role, content, metadata, created_at FROM app_admin_conversation
WHERE metadata->>'conversation_id' = $1 ORDER BY created_at DESC, role DESC LIMIT $2
"""
LATEST = """
SELECT metadata->>'conversation_id' FROM app_admin_conversation
WHERE metadata ? 'conversation_id' AND ($1::TEXT IS NULL OR metadata->>'admin_user' = $1)
ORDER BY created_at DESC LIMIT 1
"""


def _reply_from(content: str, meta: dict[str, Any]) -> AdminChatReply:
    return AdminChatReply(conversation_id=str(meta.get("conversation_id") or ""), reply=content,
                          data=meta.get("data"), objective_id=meta.get("objective_id"), run_id=meta.get("run_id"))


async def _history(pool: asyncpg.Pool, conversation_id: str, limit: int) -> list[asyncpg.Record]:
    rows = await pool.fetch(HISTORY, conversation_id, limit)
    return list(reversed(rows))


def _small(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """The rows behind an answer, kept in the conversation only while they are small."""
    if value is None or len(json.dumps(value, ensure_ascii=False, default=str)) <= STORED_DATA_BYTES:
        return value
    return {**{k: v for k, v in value.items() if k != "items"}, "items": value.get("items", [])[:3], "truncated": True}


# ---- requests ------------------------------------------------------------------------------------
async def get_admin_chat(req: GetAdminChat, ctx: HandlerContext, _deps: Any) -> AdminChatHistory:
    conversation_id = _storable(req.conversation_id) or await ctx.pool.fetchval(LATEST, _storable(req.admin_user))
    if not conversation_id:
        return AdminChatHistory(conversation_id=None, messages=[])
    rows = await _history(ctx.pool, conversation_id, HISTORY_MAX)
    messages = [AdminChatMessage(role="assistant" if r["role"] == "assistant" else "user", content=r["content"],
                                 at=r["created_at"].isoformat() if r["created_at"] else "",
                                 data=(r["metadata"] or {}).get("data")) for r in rows]
    return AdminChatHistory(conversation_id=conversation_id, messages=messages)


def _storable(text: str | None) -> str | None:
    """Postgres text and JSONB cannot hold NUL characters: they are dropped."""
    return text.replace("\x00", "") if text is not None else None


async def admin_chat(req: AdminChat, ctx: HandlerContext, _deps: Any) -> AdminChatReply:
    started = time.perf_counter()
    req = req.model_copy(update={"message": _storable(req.message) or " ",
                                 "conversation_id": _storable(req.conversation_id) or None,
                                 "admin_user": _storable(req.admin_user)})
    request_id = ctx.request_id or uuid.uuid4().hex
    stored = await ctx.pool.fetchrow(STORED_ANSWER, request_id)
    if stored is not None:
        log.info("superchat.replayed", request_id=request_id)
        return _reply_from(stored["content"], stored["metadata"] or {})
    conversation_id = req.conversation_id or str(uuid.uuid4())
    meta = {"conversation_id": conversation_id, "admin_user": req.admin_user, "request_id": request_id}
    if await ctx.pool.fetchval(INSERT, "user", req.message, meta) is None:  # a repeat while the first runs
        conversation_id = await ctx.pool.fetchval(USER_ROW, request_id) or conversation_id
    chat = ctx.deps.get(DEPS_KEY)
    llm = chat.llm if isinstance(chat, SuperChat) else None
    answer = await _answer(req, ctx, llm, conversation_id)
    answer_meta = {"conversation_id": conversation_id, "admin_user": req.admin_user, "request_id": request_id,
                   "mode": answer.mode, "data": _small(answer.data), "objective_id": answer.objective_id,
                   "run_id": answer.run_id, "tokens": answer.tokens}
    if await ctx.pool.fetchval(INSERT, "assistant", answer.text, answer_meta) is None:
        stored = await ctx.pool.fetchrow(STORED_ANSWER, request_id)  # the other run answered first
        if stored is not None:
            return _reply_from(stored["content"], stored["metadata"] or {})
    log.info("superchat.answered", conversation_id=conversation_id, mode=answer.mode, intent=answer.intent,
             objective_id=answer.objective_id, duration_ms=round((time.perf_counter() - started) * 1000))
    return AdminChatReply(conversation_id=conversation_id, reply=answer.text, data=_small(answer.data),
                          objective_id=answer.objective_id, run_id=answer.run_id)


@dataclass
class Answer:
    text: str
    mode: str  # commands | llm
    intent: str
    data: dict[str, Any] | None = None
    objective_id: str | None = None
    run_id: str | None = None
    tokens: int = 0


async def _answer(req: AdminChat, ctx: HandlerContext, llm: LLMClient | None, conversation_id: str) -> Answer:
    is_command = req.message.lstrip().startswith("/")
    if llm is not None and llm.available and not is_command:
        try:
            return await _with_model(req, ctx, llm, conversation_id)
        except (LLMError, TimeoutError) as exc:
            log.warning("superchat.llm_failed", error=str(exc) or type(exc).__name__)
    return await _with_commands(req, ctx)


# ---- without a model: the commands ---------------------------------------------------------------
async def _read(intent: commands.Intent, pool: asyncpg.Pool) -> dict[str, Any] | None:
    if intent.kind == "leads":
        return await data.leads(pool, intent.days)
    if intent.kind == "quotes":
        return await data.quotes(pool, intent.status)
    if intent.kind == "incidents":
        return await data.incidents(pool, intent.severity, intent.resolved)
    if intent.kind == "runs":
        return await data.runs(pool, intent.status)
    if intent.kind == "approvals":
        return await data.approvals(pool)
    return None


async def _with_commands(req: AdminChat, ctx: HandlerContext) -> Answer:
    intent = commands.parse(req.message)
    if intent.kind == "help":
        return Answer(commands.help_text(req.locale), "commands", "help")
    if intent.kind == "objective":
        if not intent.text:
            return Answer(_say(req, "Dites ce que l'agent doit faire : /objectif [agent] texte, par exemple "
                               "« /objectif relance les leads de la semaine qui n'ont pas acheté ».",
                               "Say what the agent should do: /objectif [agent] text, for example "
                               "“/objectif follow up this week's leads who did not buy”."), "commands", "objective")
        agent, text = commands.choose_agent(intent.text, await data.agent_names(ctx.pool))
        return await _objective(ctx, req, agent, _title(text), text, "commands")
    found = await _read(intent, ctx.pool)
    if found is None:
        return Answer(commands.unknown_text(req.locale), "commands", "unknown")
    return Answer(commands.answer(found, req.locale), "commands", intent.kind, data=found)


def _say(req: AdminChat, french: str, english: str) -> str:
    return english if req.locale == "en" else french


def _title(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return (first[:117] + "…") if len(first) > 120 else first


async def _objective(ctx: HandlerContext, req: AdminChat, agent: str, title: str, description: str,
                     mode: str) -> Answer:
    """Creates and starts an objective through the agents service's own request, once per message."""
    body = CreateObjective(agent=agent, title=title[:300] or "Objectif", description=description[:20_000],
                           created_by=(req.admin_user or "superchat")[:200], start=True)
    try:
        made = await ctx.request(CreateObjective.TYPE, body, ObjectiveReply, timeout=15.0,
                                 request_id=ctx.derived_request_id("superchat.create_objective"))
    except RemoteError as exc:
        log.info("superchat.objective_refused", agent=agent, code=exc.code, reason=exc.message)
        return Answer(_say(req, f"Je n'ai pas pu créer l'objectif pour {agent} : {exc.message}",
                           f"I could not create the objective for {agent}: {exc.message}"), mode, "objective",
                      data={"kind": "objective", "error": exc.code, "reason": exc.message})
    except RequestTimeout:
        return Answer(_say(req, "Le service des agents n'a pas répondu à temps ; l'objectif n'est peut-être pas "
                           "créé. Vérifiez la page Exécutions.", "The agents service did not answer in time; the "
                           "objective may not exist. Check the Runs page."), mode, "objective",
                      data={"kind": "objective", "error": "timeout"})
    run = made.run
    text = _say(req, f"Objectif créé pour {agent} : « {made.objective.title} ».",
                f"Objective created for {agent}: “{made.objective.title}”.")
    if run is not None:
        text += _say(req, f" Exécution n°{run.run_number} lancée ({run.status}) : suivez-la sur la page Exécutions.",
                     f" Run no. {run.run_number} started ({run.status}): follow it on the Runs page.")
    found = {"kind": "objective", "agent": agent, "objective": made.objective.model_dump(mode="json"),
             "run": run.model_dump(mode="json") if run else None}
    return Answer(text, mode, "objective", data=found, objective_id=made.objective.id,
                  run_id=run.id if run else None)


# ---- with a model: read-only tools, and one objective on request ---------------------------------
SYSTEM = (
    "Tu es l'assistant d'administration de la boutique : tu réponds à son propriétaire. Réponds en "
    "français (ou dans la langue du propriétaire), brièvement, uniquement à partir des résultats des outils : "
    "n'invente aucun chiffre, aucun nom, aucun prix. Appelle l'outil qui lit la donnée demandée avant de "
    "répondre. N'utilise create_objective que si le propriétaire demande explicitement de lancer, confier ou "
    "démarrer une tâche à un agent ; une seule fois par message."
)


def _tools(agents: list[str]) -> list[dict[str, Any]]:
    def tool(name: str, description: str, properties: dict[str, Any], required: list[str] | None = None
             ) -> dict[str, Any]:
        return {"type": "function", "function": {"name": name, "description": description, "parameters": {
            "type": "object", "properties": properties, "required": required or [],
            "additionalProperties": False}}}

    days = {"type": "integer", "minimum": 1, "maximum": commands.MAX_DAYS,
            "description": "période en jours jusqu'à maintenant (7 = cette semaine)"}
    return [
        tool("get_leads", "Prospects créés sur la période : nombre, acheteurs, score moyen, les mieux notés.",
             {"days": days}),
        tool("get_quotes", "Devis par statut : nombre, montant total, les plus récents.",
             {"status": {"type": "string", "enum": [*data.QUOTE_STATUSES, "all"]}}),
        tool("get_incidents", "Incidents de sécurité, les plus graves d'abord.",
             {"severity": {"type": "string", "enum": [*data.SEVERITIES, "all"]},
              "resolved": {"type": "string", "enum": ["no", "yes", "all"]}, "days": days}),
        tool("get_agent_runs", "Exécutions des agents par statut.",
             {"status": {"type": "string", "enum": [*data.RUN_STATUSES, "all"]}}),
        tool("get_pending_approvals", "Actions des agents qui attendent l'accord du propriétaire.", {}),
        tool("create_objective", "Crée un objectif pour un agent et le lance (seulement sur demande explicite).",
             {"agent": {"type": "string", "enum": agents or [commands.DEFAULT_AGENT]},
              "title": {"type": "string", "maxLength": 300}, "description": {"type": "string", "maxLength": 4000}},
             ["agent", "title"]),
    ]


def _int(value: Any, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError):
        return default


async def _run_tool(name: str, args: dict[str, Any], pool: asyncpg.Pool) -> dict[str, Any]:
    if name == "get_leads":
        return await data.leads(pool, _int(args.get("days"), commands.DEFAULT_DAYS, 1, commands.MAX_DAYS))
    if name == "get_quotes":
        status = args.get("status")
        return await data.quotes(pool, None if status == "all" else status if status else "pending")
    if name == "get_incidents":
        severity = args.get("severity")
        resolved = {"no": False, "yes": True, "all": None}.get(str(args.get("resolved") or "no"), False)
        return await data.incidents(pool, None if severity in (None, "all") else severity, resolved,
                                    _int(args.get("days"), 30, 1, commands.MAX_DAYS))
    if name == "get_agent_runs":
        status = args.get("status")
        return await data.runs(pool, None if status in (None, "all") else status)
    if name == "get_pending_approvals":
        return await data.approvals(pool)
    return {"error": f"unknown tool {name}"}


def _history_messages(rows: list[asyncpg.Record]) -> list[dict[str, Any]]:
    return [{"role": "assistant" if r["role"] == "assistant" else "user", "content": r["content"][:4000]}
            for r in rows]


async def _with_model(req: AdminChat, ctx: HandlerContext, llm: LLMClient, conversation_id: str) -> Answer:
    agents = await data.agent_names(ctx.pool)
    earlier = await _history(ctx.pool, conversation_id, HISTORY_TURNS + 1)
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    system = f"{SYSTEM} Nous sommes le {today} (UTC) ; « cette semaine » = les 7 derniers jours."
    if req.locale == "en":
        system += " The owner reads English: answer in English."
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}, *_history_messages(earlier)]
    if not earlier or earlier[-1]["content"] != req.message:
        messages.append({"role": "user", "content": req.message})
    tools = _tools(agents)
    last_data: dict[str, Any] | None = None
    made: Answer | None = None
    tokens = 0
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    for _ in range(MAX_ROUNDS):
        try:
            async with asyncio.timeout_at(deadline):
                completion: Completion = await llm.complete(messages, tools=tools)
        except (LLMError, TimeoutError):
            if made is None:
                raise  # the commands answer instead
            log.warning("superchat.llm_failed_after_objective", objective_id=made.objective_id)
            return Answer(made.text, "llm", "objective", made.data, made.objective_id, made.run_id, tokens)
        tokens += int(completion.usage.get("total_tokens", 0))
        if not completion.tool_calls:
            text = completion.content.strip() or (commands.answer(last_data, req.locale) if last_data
                                                  else commands.help_text(req.locale))
            if made is not None:
                return Answer(text, "llm", "objective", made.data, made.objective_id, made.run_id, tokens)
            return Answer(text, "llm", str((last_data or {}).get("kind") or "chat"), last_data, tokens=tokens)
        messages.append({"role": "assistant", "content": completion.content or None, "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in completion.tool_calls]})
        for call in completion.tool_calls:
            result = await _call(call.name, call.arguments, req, ctx, agents, made)
            if isinstance(result, Answer):
                made = result
                content: dict[str, Any] = result.data or {}
            else:
                content = result
                if "error" not in result:
                    last_data = result
            log.info("superchat.tool", tool=call.name, ok="error" not in content)
            messages.append({"role": "tool", "tool_call_id": call.id,
                             "content": json.dumps(content, ensure_ascii=False, default=str)[:12_000]})
    if made is not None:
        return Answer(made.text, "llm", "objective", made.data, made.objective_id, made.run_id, tokens)
    text = commands.answer(last_data, req.locale) if last_data else commands.unknown_text(req.locale)
    return Answer(text, "llm", str((last_data or {}).get("kind") or "chat"), last_data, tokens=tokens)


async def _call(name: str, arguments: str, req: AdminChat, ctx: HandlerContext, agents: list[str],
                made: Answer | None) -> dict[str, Any] | Answer:
    """One tool call of the model; a bad call becomes an error the model reads, never a crash."""
    try:
        args = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return {"error": "arguments are not valid JSON"}
    if not isinstance(args, dict):
        return {"error": "arguments must be a JSON object"}
    if name != "create_objective":
        return await _run_tool(name, args, ctx.pool)
    if made is not None:
        return {"error": "an objective was already created for this message", "objective_id": made.objective_id}
    agent = str(args.get("agent") or "")
    title = str(args.get("title") or "").strip()
    if agent not in agents or not title:
        return {"error": f"agent must be one of {agents} and title is required"}
    return await _objective(ctx, req, agent, title, str(args.get("description") or title), "llm")
