"""Console pages for the agents (owner only): runs with a status filter, a run's timeline (steps,
thoughts, tool calls, results, events, approvals; refreshed while the run goes on), approvals with
approve (optionally with edited JSON arguments) / reject (with a reason), the registry, a form that
creates and starts an objective, and the owner's super chat.

The agents service owns all of it: the pages ask it over the broker with the requests of
libs/common/events/agents.py, as the conversation pages ask chat. Its error codes become clear
messages: `not_found` 404, `approval_closed` / `run_finished` 409, `unknown_*` / `invalid_*` 422; a
service that does not answer is a 503 page, never a 5xx trace. Every change is audited
(`admin.log.recorded`, category `audit`).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from libs.common.errors import RemoteError
from libs.common.events.agents import (
    AdminChat,
    AdminChatHistory,
    AdminChatReply,
    AgentList,
    ApprovalList,
    ApprovalReply,
    ApprovalStatus,
    Budget,
    CancelRun,
    CreateObjective,
    DecideApproval,
    GetAdminChat,
    GetRun,
    ListAgents,
    ListApprovals,
    ListRuns,
    ObjectiveReply,
    RunDetail,
    RunList,
    RunReply,
    RunStatus,
    StartRun,
)
from libs.common.logging import get_logger
from libs.common.messages import Message
from services.gateway.console import audit, auth, i18n, remote
from services.gateway.console.render import page
from services.gateway.console.users import LoginSession
from services.gateway.deps import Gateway, GatewayDep

log = get_logger("gateway.console.agents")
router = APIRouter(prefix="/admin/agents", include_in_schema=False)
PAGE = 50
RUN_STATUSES: tuple[RunStatus, ...] = ("running", "paused", "completed", "failed", "cancelled")
APPROVAL_STATUSES: tuple[ApprovalStatus, ...] = ("pending", "approved", "rejected", "expired")
RISKS = ("low", "medium", "high")
CHAT_TIMEOUT_S = 60.0
ERROR_STATUS = remote.PAGE_ERRORS
Csrf = Annotated[str, Form(max_length=200)]

# the agents pages' words (merged into the console's dictionaries below)
FR: dict[str, str] = {
    "agents": "Agents", "agents_nav": "Pages des agents", "agent_runs": "Exécutions", "approvals": "Approbations",
    "registry": "Registre", "new_objective": "Nouvel objectif", "superchat": "Assistant du propriétaire",
    "run": "Exécution", "run_number": "N°", "agent": "Agent", "objective": "Objectif", "steps": "Étapes",
    "step": "Étape", "tool_calls": "Appels d'outils", "tokens": "Jetons", "cost": "Coût", "started": "Démarrée",
    "finished": "Finie", "stop_reason": "Raison de l'arrêt", "summary": "Résumé", "timeline": "Déroulé",
    "events": "Événements", "thought": "Réflexion", "tool": "Outil", "arguments": "Arguments",
    "result": "Résultat", "error": "Erreur", "duration": "Durée", "risk": "Risque", "expires": "Expire",
    "decided_by": "Décidé par", "reason_label": "Raison", "no_runs": "Aucune exécution.",
    "no_approvals": "Aucune approbation.", "no_steps": "Aucune étape pour l'instant.",
    "run_running": "En cours", "run_paused": "En pause (approbation)", "run_completed": "Terminée",
    "run_failed": "Échouée", "run_cancelled": "Annulée",
    "approval_pending": "En attente", "approval_approved": "Approuvée", "approval_rejected": "Refusée",
    "approval_expired": "Expirée", "risk_low": "Faible", "risk_medium": "Moyen", "risk_high": "Élevé",
    "approve": "Approuver", "reject": "Refuser", "cancel_run": "Annuler l'exécution",
    "edit_args": "Modifier les arguments (JSON)", "edit_args_help": "Laissez tel quel pour approuver les "
    "arguments proposés ; un objet JSON sinon.", "reject_reason": "Raison du refus (transmise à l'agent)",
    "invalid_json": "Ce n'est pas un objet JSON valide.", "approval_closed": "Cette approbation est déjà "
    "décidée ou a expiré : rien n'a été changé.", "run_finished": "Cette exécution est déjà terminée.",
    "approval_not_found": "Approbation introuvable.", "run_not_found": "Exécution introuvable.",
    "agents_down": "Le service des agents ne répond pas ; réessayez dans un instant.",
    "approved_done": "Approuvé : l'agent reprend.", "rejected_done": "Refusé : l'agent en est informé.",
    "cancelled_done": "Exécution annulée.", "run_again": "Relancer l'objectif",
    "started_done": "Nouvelle exécution lancée.", "live_refresh": "Mise à jour automatique pendant l'exécution.",
    "enabled": "Activé", "disabled": "Désactivé", "tools": "Outils", "settings": "Réglages",
    "description": "Description", "parameters": "Paramètres", "tools_allowed": "Outils autorisés",
    "tools_allowed_help": "Aucun coché : tous les outils de l'agent.", "budget": "Budget",
    "max_steps": "Étapes au plus", "max_tool_calls": "Appels d'outils au plus",
    "max_duration_s": "Durée au plus (secondes, hors attente d'approbation)",
    "risk_level": "Risque à partir duquel votre accord est demandé", "risk_default": "Réglage de l'agent",
    "priority": "Priorité (0 à 100)", "start_now": "Lancer une exécution tout de suite",
    "create_objective": "Créer l'objectif", "objective_created": "Objectif créé.",
    "chat_intro": "Posez une question sur la boutique (« combien de leads cette semaine ? ») ou tapez /aide.",
    "your_message": "Votre message", "you": "Vous", "new_conversation": "Nouvelle conversation",
    "chat_sending": "Envoi…", "open_run": "Voir l'exécution", "status_filter": "Statut",
    "event_data": "Données", "filter_all": "Tous",
    "step_pending": "en attente", "step_executing": "en cours", "step_completed": "terminée",
    "step_failed": "échouée", "call_pending": "en attente", "call_awaiting_approval": "attend votre accord",
    "call_succeeded": "réussi", "call_failed": "échoué", "call_refused": "refusé",
    "invalid_arguments_page": "L'agent refuse ces arguments.", "agents_error": "Refusé par le service des agents :",
}
EN: dict[str, str] = {
    "agents": "Agents", "agents_nav": "Agents pages", "agent_runs": "Runs", "approvals": "Approvals",
    "registry": "Registry", "new_objective": "New objective", "superchat": "Owner's assistant", "run": "Run",
    "run_number": "No.", "agent": "Agent", "objective": "Objective", "steps": "Steps", "tool_calls": "Tool calls",
    "step": "Step", "tokens": "Tokens", "cost": "Cost", "started": "Started", "finished": "Finished",
    "stop_reason": "Stop reason",
    "summary": "Summary", "timeline": "Timeline", "events": "Events", "thought": "Thought", "tool": "Tool",
    "arguments": "Arguments", "result": "Result", "error": "Error", "duration": "Duration", "risk": "Risk",
    "expires": "Expires", "decided_by": "Decided by", "reason_label": "Reason", "no_runs": "No runs.",
    "no_approvals": "No approvals.", "no_steps": "No steps yet.", "run_running": "Running",
    "run_paused": "Paused (approval)", "run_completed": "Completed", "run_failed": "Failed",
    "run_cancelled": "Cancelled", "approval_pending": "Pending", "approval_approved": "Approved",
    "approval_rejected": "Rejected", "approval_expired": "Expired", "risk_low": "Low", "risk_medium": "Medium",
    "risk_high": "High", "approve": "Approve", "reject": "Reject", "cancel_run": "Cancel the run",
    "edit_args": "Edit the arguments (JSON)", "edit_args_help": "Leave as is to approve the proposed "
    "arguments; otherwise a JSON object.", "reject_reason": "Reason for refusing (told to the agent)",
    "invalid_json": "This is not a valid JSON object.", "approval_closed": "This approval was already decided "
    "or has expired: nothing was changed.", "run_finished": "This run has already finished.",
    "approval_not_found": "Approval not found.", "run_not_found": "Run not found.",
    "agents_down": "The agents service is not answering; try again in a moment.",
    "approved_done": "Approved: the agent goes on.", "rejected_done": "Rejected: the agent is told.",
    "cancelled_done": "Run cancelled.", "run_again": "Run the objective again", "started_done": "New run started.",
    "live_refresh": "Updated automatically while the run goes on.",
    "enabled": "Enabled", "disabled": "Disabled", "tools": "Tools", "settings": "Settings",
    "description": "Description", "parameters": "Parameters", "tools_allowed": "Allowed tools",
    "tools_allowed_help": "None ticked: every tool of the agent.", "budget": "Budget", "max_steps": "Steps at most",
    "max_tool_calls": "Tool calls at most", "max_duration_s": "Duration at most (seconds, approvals excluded)",
    "risk_level": "Risk from which your approval is asked", "risk_default": "The agent's setting",
    "priority": "Priority (0 to 100)", "start_now": "Start a run now", "create_objective": "Create the objective",
    "objective_created": "Objective created.",
    "chat_intro": "Ask about the shop (“how many leads this week?”) or type /aide.",
    "your_message": "Your message", "you": "You", "new_conversation": "New conversation",
    "chat_sending": "Sending…", "open_run": "Open the run", "status_filter": "Status", "event_data": "Data",
    "step_pending": "pending", "step_executing": "running", "step_completed": "completed", "step_failed": "failed",
    "call_pending": "pending", "call_awaiting_approval": "awaiting your approval", "call_succeeded": "succeeded",
    "call_failed": "failed", "call_refused": "refused",
    "filter_all": "All", "invalid_arguments_page": "The agent refuses these arguments.",
    "agents_error": "Refused by the agents service:",
}
for _words, _ours in ((i18n.FR, FR), (i18n.EN, EN)):
    for _key, _word in _ours.items():
        _words.setdefault(_key, _word)


AgentsDown = remote.ServiceDown


async def _ask(gw: Gateway, request_type: str, body: Message, reply: type[Any], timeout: float | None = None,
               request_id: uuid.UUID | None = None) -> Any:
    return await remote.ask(gw, "agents", request_type, body, reply, timeout=timeout, request_id=request_id)


def _message(request: Request, login: LoginSession, key: str, status: int, back: str,
             detail: str | None = None) -> Response:
    return page(request, "agents_message.html", login, status=status, message_key=key, back=back, detail=detail)


def _down(request: Request, login: LoginSession, back: str) -> Response:
    return _message(request, login, "agents_down", 503, back)


def _offset(request: Request) -> int:
    try:
        return max(0, min(1_000_000, int(request.query_params.get("offset", "0"))))
    except ValueError:
        return 0


def _pick(value: str | None, allowed: tuple[str, ...]) -> Any:
    return value if value in allowed else None


def _clean(text: str) -> str:
    """Without NUL characters (a form may send %00; Postgres cannot store it)."""
    return text.replace("\x00", "")


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _done(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("")
@router.get("/")
async def agents_home() -> RedirectResponse:
    return _done("/admin/agents/runs")


@router.get("/pending.json")
async def pending_count(request: Request, gw: GatewayDep) -> Response:
    """How many approvals wait for the owner (the navigation's badge); 0 while the service is away."""
    await auth.require(request, gw, owner=True)
    try:
        found: ApprovalList = await _ask(gw, ListApprovals.TYPE, ListApprovals(status="pending", limit=1),
                                         ApprovalList, timeout=3.0)
        pending = found.total
    except (AgentsDown, RemoteError):
        pending = 0
    return Response(json.dumps({"pending": pending}), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


# ---- runs -----------------------------------------------------------------------------------------
@router.get("/runs")
async def runs(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    status = _pick(request.query_params.get("status"), RUN_STATUSES)
    offset = _offset(request)
    try:
        found: RunList = await _ask(gw, ListRuns.TYPE, ListRuns(status=status, limit=PAGE, offset=offset), RunList)
    except (AgentsDown, RemoteError):
        return _down(request, login, "/admin/agents/runs")
    template = "agents_runs_rows.html" if request.query_params.get("partial") else "agents_runs.html"
    return page(request, template, login, items=found.items, total=found.total, run_status=status,
                statuses=RUN_STATUSES, offset=offset, page_size=PAGE)


def timeline(detail: RunDetail) -> list[dict[str, Any]]:
    """The run's steps in order, each with its tool calls and their approvals; calls without a step
    (none expected) come last."""
    approvals: dict[str, list[Any]] = {}
    for a in detail.approvals:
        approvals.setdefault(a.tool_call_id or "", []).append(a)
    calls: dict[str, list[dict[str, Any]]] = {}
    for c in detail.tool_calls:
        calls.setdefault(c.step_id or "", []).append({"call": c, "approvals": approvals.get(c.id, [])})
    steps = [{"step": s, "calls": calls.pop(s.id, [])} for s in sorted(detail.steps, key=lambda s: s.step_number)]
    loose = [c for rest in calls.values() for c in rest]
    if loose:
        steps.append({"step": None, "calls": loose})
    return steps


async def _run_page(request: Request, gw: Gateway, login: LoginSession, run_id: str, status: int = 200,
                    **extra: Any) -> Response:
    try:
        detail: RunDetail = await _ask(gw, GetRun.TYPE, GetRun(run_id=run_id[:100]), RunDetail)
    except RemoteError as exc:
        if exc.code == "not_found":
            return _message(request, login, "run_not_found", 404, "/admin/agents/runs")
        return _message(request, login, "agents_down", 422, "/admin/agents/runs", exc.message)
    except AgentsDown:
        return _down(request, login, "/admin/agents/runs")
    known_calls = {c.id for c in detail.tool_calls}
    unlinked = [a for a in detail.approvals if not a.tool_call_id or a.tool_call_id not in known_calls]
    template = "agents_run_live.html" if request.query_params.get("partial") else "agents_run.html"
    return page(request, template, login, status=status, d=detail, run=detail.run, steps=timeline(detail),
                again_id=str(uuid.uuid4()),
                events=sorted(detail.events, key=lambda e: e.created_at or ""), unlinked=unlinked,
                pending=[a for a in detail.approvals if a.status == "pending"], pretty=_pretty,
                done=request.query_params.get("done"), errors=extra.get("errors") or {},
                drafts=extra.get("drafts") or {})


@router.get("/runs/{run_id}")
async def run_detail(run_id: str, request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    return await _run_page(request, gw, login, run_id)


@router.post("/runs/{run_id}/cancel")
async def cancel_run(run_id: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                     reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    back = f"/admin/agents/runs/{run_id[:100]}"
    try:
        await _ask(gw, CancelRun.TYPE, CancelRun(run_id=run_id[:100], reason=_clean(reason).strip()[:1000] or None),
                   RunReply)
    except RemoteError as exc:
        key = {"not_found": "run_not_found", "run_finished": "run_finished"}.get(exc.code, "agents_down")
        return _message(request, login, key, ERROR_STATUS.get(exc.code, 422), back, exc.message)
    except AgentsDown:
        return _down(request, login, back)
    await audit.record(gw.pool, login.user, "cancelled", f"agent run {run_id[:100]}")
    return _done(back + "?done=cancelled")


@router.post("/runs/{run_id}/again")
async def run_again(run_id: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                    objective_id: Annotated[str, Form(max_length=100)] = "",
                    request_id: Annotated[str, Form(max_length=100)] = "") -> Response:
    """A new run of the same objective (`agents.start_run`), once per form."""
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    back = f"/admin/agents/runs/{run_id[:100]}"
    if not objective_id.strip():
        return _message(request, login, "run_not_found", 404, back)
    try:
        made: RunReply = await _ask(gw, StartRun.TYPE, StartRun(objective_id=objective_id.strip()), RunReply,
                                    timeout=15.0, request_id=_request_id(request_id))
    except RemoteError as exc:
        return _message(request, login, "run_not_found" if exc.code == "not_found" else "agents_down",
                        ERROR_STATUS.get(exc.code, 422), back, exc.message)
    except AgentsDown:
        return _down(request, login, back)
    await audit.record(gw.pool, login.user, "started", f"agent run {made.run.id}", objective=objective_id[:100])
    return _done(f"/admin/agents/runs/{made.run.id}?done=started")


# ---- approvals ------------------------------------------------------------------------------------
@router.get("/approvals")
async def approvals(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    return await _approvals_page(request, gw, login)


async def _approvals_page(request: Request, gw: Gateway, login: LoginSession, status: int = 200,
                          errors: dict[str, str] | None = None, drafts: dict[str, str] | None = None) -> Response:
    asked = request.query_params.get("status")
    chosen = None if asked == "all" else _pick(asked, APPROVAL_STATUSES) if asked else "pending"
    offset = _offset(request)
    try:
        found: ApprovalList = await _ask(gw, ListApprovals.TYPE, ListApprovals(status=chosen, limit=PAGE,
                                                                               offset=offset), ApprovalList)
    except (AgentsDown, RemoteError):
        return _down(request, login, "/admin/agents/approvals")
    return page(request, "agents_approvals.html", login, status=status, items=found.items, total=found.total,
                approval_status=chosen or "all", statuses=APPROVAL_STATUSES, offset=offset, page_size=PAGE,
                pretty=_pretty, done=request.query_params.get("done"), errors=errors or {}, drafts=drafts or {})


def _back(next_path: str) -> str:
    return next_path if next_path.startswith("/admin/agents/") and "//" not in next_path else "/admin/agents/approvals"


def _proposed(text: str) -> dict[str, Any] | None:
    """The arguments the form showed (a hidden field): the same text sent back is no edit."""
    try:
        value = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def parse_args(text: str, original: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str | None]:
    """The edited arguments (None when unchanged or empty) or the error key."""
    if not text.strip():
        return None, None
    if "\x00" in text or "\\u0000" in text:  # Postgres cannot store a NUL character
        return None, "invalid_json"
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None, "invalid_json"
    if not isinstance(value, dict):
        return None, "invalid_json"
    return (None if value == original else value), None


async def _decide(request: Request, gw: Gateway, login: LoginSession, approval_id: str, decision: str,
                  args: dict[str, Any] | None, reason: str | None, next_path: str) -> Response:
    back = _back(next_path)
    body = DecideApproval(approval_id=approval_id[:100], decision="approve" if decision == "approve" else "reject",
                          args=args, reason=reason, decided_by=login.user.email)
    try:
        await _ask(gw, DecideApproval.TYPE, body, ApprovalReply, timeout=15.0)
    except RemoteError as exc:
        key = {"not_found": "approval_not_found", "approval_closed": "approval_closed"}.get(exc.code, "invalid_json")
        if exc.code == "invalid_arguments":
            return _message(request, login, "invalid_arguments_page", 422, back, exc.message)
        return _message(request, login, key, ERROR_STATUS.get(exc.code, 422), back, exc.message)
    except AgentsDown:
        return _down(request, login, back)
    action = "approved" if decision == "approve" else "rejected"
    await audit.record(gw.pool, login.user, action, f"agent approval {approval_id[:100]}",
                       edited=args is not None, reason=(reason or "")[:500])
    joiner = "&" if "?" in back else "?"
    return _done(f"{back}{joiner}done={action}")


@router.post("/approvals/{approval_id}/approve")
async def approve(approval_id: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                  args: Annotated[str, Form(max_length=50_000)] = "",
                  proposed: Annotated[str, Form(max_length=50_000)] = "",
                  next_path: Annotated[str, Form(alias="next", max_length=500)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    edited, error = parse_args(args, _proposed(proposed))
    if error is not None:
        errors, drafts = {approval_id: error}, {approval_id: args}
        back = _back(next_path)
        if back.startswith("/admin/agents/runs/"):
            return await _run_page(request, gw, login, back.split("/")[4].split("?")[0], status=422,
                                   errors=errors, drafts=drafts)
        return await _approvals_page(request, gw, login, status=422, errors=errors, drafts=drafts)
    return await _decide(request, gw, login, approval_id, "approve", edited, None, next_path)


@router.post("/approvals/{approval_id}/reject")
async def reject(approval_id: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                 reason: Annotated[str, Form(max_length=4000)] = "",
                 next_path: Annotated[str, Form(alias="next", max_length=500)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    return await _decide(request, gw, login, approval_id, "reject", None, _clean(reason).strip()[:2000] or None,
                         next_path)


# ---- registry and objectives ----------------------------------------------------------------------
async def _registry(gw: Gateway) -> AgentList:
    found: AgentList = await _ask(gw, ListAgents.TYPE, ListAgents(), AgentList)
    return found


@router.get("/registry")
async def registry(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    try:
        found = await _registry(gw)
    except (AgentsDown, RemoteError):
        return _down(request, login, "/admin/agents/runs")
    return page(request, "agents_registry.html", login, agents=found.agents, tools=found.tools, pretty=_pretty)


def _objective_form(request: Request, login: LoginSession, found: AgentList, values: dict[str, Any],
                    errors: dict[str, str], status: int = 200) -> Response:
    return page(request, "agents_objective.html", login, status=status, agents=found.agents, tools=found.tools,
                values=values, errors=errors, risks=RISKS)


@router.get("/objectives/new")
async def new_objective(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    try:
        found = await _registry(gw)
    except (AgentsDown, RemoteError):
        return _down(request, login, "/admin/agents/runs")
    chosen = request.query_params.get("agent") or (found.agents[0].name if found.agents else "")
    defaults = Budget()
    return _objective_form(request, login, found, {
        "agent": chosen, "title": "", "description": "", "tools": [], "risk": "", "priority": "0",
        "max_steps": str(defaults.max_steps), "max_tool_calls": str(defaults.max_tool_calls),
        "max_duration_s": str(defaults.max_duration_ms // 1000), "start": True, "request_id": str(uuid.uuid4())}, {})


def _int_field(values: dict[str, Any], errors: dict[str, str], name: str, low: int, high: int) -> int:
    text = str(values.get(name) or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        errors[name] = f"integer_range:{low}:{high}"
        return low
    return int(text)


@router.post("/objectives")
async def create_objective(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    form = await request.form()
    auth.check_csrf(request, login, str(form.get("csrf") or ""))
    values: dict[str, Any] = {k: _clean(str(form.get(k) or ""))[:20_000] for k in (
        "agent", "title", "description", "risk", "priority", "max_steps", "max_tool_calls", "max_duration_s",
        "request_id")}
    values["tools"] = [str(t)[:64] for t in form.getlist("tools")][:100]
    values["start"] = form.get("start") == "1"
    try:
        found = await _registry(gw)
    except (AgentsDown, RemoteError):
        return _down(request, login, "/admin/agents/objectives/new")
    errors: dict[str, str] = {}
    if values["agent"] not in {a.name for a in found.agents}:
        errors["agent"] = "required"
    title = values["title"].strip()
    if not title:
        errors["title"] = "required"
    elif len(title) > 300:
        errors["title"] = "too_long:300"
    if len(values["description"]) > 20_000:
        errors["description"] = "too_long:20000"
    max_steps = _int_field(values, errors, "max_steps", 1, 1000)
    max_tool_calls = _int_field(values, errors, "max_tool_calls", 0, 5000)
    max_duration_s = _int_field(values, errors, "max_duration_s", 1, 86_400)
    priority = _int_field(values, errors, "priority", 0, 100)
    if errors:
        return _objective_form(request, login, found, values, errors, status=422)
    risk = values["risk"] if values["risk"] in RISKS else None
    budget = Budget(max_steps=max_steps, max_tool_calls=max_tool_calls, max_duration_ms=max_duration_s * 1000)
    try:
        req = CreateObjective(agent=values["agent"], title=title, description=values["description"].strip(),
                              tools_allowed=values["tools"] or None, budget=budget, risk_level=risk,
                              priority=priority, created_by=login.user.email, start=bool(values["start"]))
    except ValidationError:
        return _objective_form(request, login, found, values, {"title": "required"}, status=422)
    request_id = _request_id(values.get("request_id"))
    try:
        made: ObjectiveReply = await _ask(gw, CreateObjective.TYPE, req, ObjectiveReply, timeout=15.0,
                                          request_id=request_id)
    except RemoteError as exc:
        field = {"unknown_agent": "agent", "unknown_tool": "tools", "invalid_budget": "max_steps"}.get(
            exc.code, "title")
        return _objective_form(request, login, found, values, {field: f"agents_error:{exc.message}"}, status=422)
    except AgentsDown:
        return _down(request, login, "/admin/agents/objectives/new")
    await audit.record(gw.pool, login.user, "created", f"agent objective {made.objective.id}",
                       agent=values["agent"], started=made.run is not None)
    if made.run is not None:
        return _done(f"/admin/agents/runs/{made.run.id}?done=created")
    return _done("/admin/agents/runs?done=created")


def _request_id(value: str | None) -> uuid.UUID | None:
    """The form's own id (a double submit creates one objective)."""
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


# ---- the owner's super chat -----------------------------------------------------------------------
@router.get("/chat")
async def superchat(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    conversation_id = (request.query_params.get("c") or "")[:100] or None
    history = AdminChatHistory()
    if not request.query_params.get("new"):
        try:
            history = await _ask(gw, GetAdminChat.TYPE, GetAdminChat(conversation_id=conversation_id,
                                                                     admin_user=login.user.email), AdminChatHistory)
        except (AgentsDown, RemoteError):
            return _down(request, login, "/admin/agents/runs")
    return page(request, "agents_chat.html", login, history=history, conversation_id=history.conversation_id or "",
                request_id=str(uuid.uuid4()), error=None, draft="")


@router.post("/chat")
async def superchat_send(request: Request, gw: GatewayDep, csrf: Csrf = "",
                         message: Annotated[str, Form(max_length=8000)] = "",
                         conversation_id: Annotated[str, Form(max_length=100)] = "",
                         request_id: Annotated[str, Form(max_length=100)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    text = message.strip()
    wants_json = request.headers.get("accept", "").startswith("application/json")
    if not text or len(text) > 4000:
        error = "required" if not text else "too_long:4000"
        if wants_json:
            return Response(json.dumps({"error": error}), status_code=422, media_type="application/json")
        history = AdminChatHistory(conversation_id=conversation_id or None)
        if conversation_id:
            with contextlib.suppress(AgentsDown, RemoteError):
                history = await _ask(gw, GetAdminChat.TYPE, GetAdminChat(conversation_id=conversation_id),
                                     AdminChatHistory)
        return page(request, "agents_chat.html", login, status=422, history=history,
                    conversation_id=conversation_id, request_id=str(uuid.uuid4()), error=error, draft=message)
    body = AdminChat(message=text, conversation_id=conversation_id or None, admin_user=login.user.email,
                     locale="en" if i18n.locale_of(request) == "en" else "fr")
    try:
        reply: AdminChatReply = await _ask(gw, AdminChat.TYPE, body, AdminChatReply, timeout=CHAT_TIMEOUT_S,
                                           request_id=_request_id(request_id))
    except (AgentsDown, RemoteError):
        if wants_json:
            return Response(json.dumps({"error": "agents_down"}), status_code=503, media_type="application/json")
        return _down(request, login, "/admin/agents/chat")
    if wants_json:
        return Response(reply.model_dump_json(), media_type="application/json")
    return _done(f"/admin/agents/chat?c={reply.conversation_id}&sent=1")
