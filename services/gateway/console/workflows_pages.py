"""Console pages for the workflows and the social queue (owner only).

- « Automatisations » (`/admin/workflows`): every workflow with its trigger, last run and state; turn one
  on or off, run it now; a workflow's steps and latest runs; every run with its step attempts (retries,
  outputs, provider ids, errors).
- « Publications » (`/admin/social`): the social publication queue with a preview of each post (text,
  stored image or video), each platform's result, and approve / reject (with a reason).

The workflows service owns all of it: the pages ask it over the broker (libs/common/events/workflows.py
and social.py). Each form carries a request id made when the page was drawn, so a form sent twice acts
once (the service's request log). Error codes become messages: `not_found` 404, `invalid_state` /
`name_conflict` 409, `invalid_*` 422; a service that does not answer is a 503 page. Every change is
audited (`admin.log.recorded`, category `audit`).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from libs.common.errors import RemoteError
from libs.common.events.social import (
    ApproveSocialPost,
    ListSocialPosts,
    PostStatus,
    RejectSocialPost,
    SocialPost,
    SocialPostList,
    SocialPostReply,
)
from libs.common.events.workflows import (
    GetWorkflow,
    GetWorkflowRun,
    ListWorkflowRuns,
    ListWorkflows,
    RunReply,
    RunStatus,
    RunWorkflow,
    SetWorkflowEnabled,
    UpdateWorkflow,
    WorkflowDefinition,
    WorkflowList,
    WorkflowReply,
    WorkflowRunList,
)
from libs.common.flags import read_flags
from libs.common.logging import get_logger
from libs.common.messages import Message
from libs.common.settings import Settings
from services.gateway.console import audit, auth, i18n, remote
from services.gateway.console.render import page
from services.gateway.console.users import LoginSession
from services.gateway.deps import Gateway, GatewayDep

log = get_logger("gateway.console.workflows")
router = APIRouter(prefix="/admin/workflows", include_in_schema=False)
social_router = APIRouter(prefix="/admin/social", include_in_schema=False)
RUN_STATUSES: tuple[RunStatus, ...] = ("queued", "running", "waiting", "completed", "failed")
POST_STATUSES: tuple[PostStatus, ...] = ("pending", "approved", "rejected", "published", "failed")
ERROR_STATUS = remote.PAGE_ERRORS
Csrf = Annotated[str, Form(max_length=200)]
RequestId = Annotated[str, Form(max_length=100)]
FILES = "/v1/files/"

FR: dict[str, str] = {
    "workflows": "Automatisations", "social": "Publications", "workflows_nav": "Pages des automatisations",
    "workflow_list": "Automatisations", "workflow_runs": "Exécutions", "workflow": "Automatisation",
    "trigger": "Déclencheur", "trigger_event": "Événement", "trigger_cron": "Planification",
    "trigger_manual": "Manuel", "last_run": "Dernière exécution", "wf_enabled": "Activée",
    "wf_disabled": "Désactivée", "enable": "Activer", "disable": "Désactiver", "run_now": "Lancer maintenant",
    "wf_steps": "Étapes", "step_type": "Type", "retry": "Nouvelles tentatives", "timeout": "Délai maximal",
    "wf_config": "Paramètres", "no_workflows": "Aucune automatisation.", "no_wf_runs": "Aucune exécution.",
    "attempt": "Tentative", "attempts": "Tentatives", "wf_output": "Sortie", "wf_input": "Entrée",
    "provider_id": "Identifiant chez le fournisseur", "wf_error": "Erreur", "wf_duration": "Durée",
    "wf_started": "Démarrée", "wf_finished": "Finie", "wf_status": "Statut", "next_run": "Prochaine exécution",
    "wf_run_queued": "En file", "wf_run_running": "En cours", "wf_run_waiting": "En attente",
    "wf_run_completed": "Terminée", "wf_run_failed": "Échouée", "step_running": "En cours",
    "step_succeeded": "Réussie", "step_failed": "Échouée", "step_unknown": "Issue inconnue",
    "wf_enabled_done": "Automatisation activée.", "wf_disabled_done": "Automatisation désactivée.",
    "wf_run_done": "Exécution lancée.", "wf_not_found": "Automatisation introuvable.",
    "wf_run_not_found": "Exécution introuvable.", "workflows_down": "Le service des automatisations ne "
    "répond pas ; réessayez dans un instant.", "workflows_refused": "Refusé par le service des automatisations :",
    "wf_run_step": "Étape en cours", "wf_trigger_ref": "Origine", "wf_all": "Toutes",
    "social_queue": "Publications sur les réseaux sociaux", "post_pending": "À valider",
    "post_approved": "Approuvée", "post_rejected": "Refusée", "post_published": "Publiée",
    "post_failed": "Échec", "platforms": "Réseaux", "scheduled_for": "Prévue le", "queued_by": "Proposée par",
    "source_agent": "un agent", "source_workflow": "une automatisation", "source_owner": "le propriétaire",
    "media": "Média", "media_image": "Image jointe", "media_video": "Vidéo jointe",
    "open_media": "Ouvrir le média", "approve_post": "Approuver et publier", "reject_post": "Refuser",
    "reject_post_reason": "Raison du refus", "post_approved_done": "Publication approuvée : elle part "
    "maintenant (ou à l'heure prévue).", "post_rejected_done": "Publication refusée.",
    "post_not_found": "Publication introuvable.", "post_not_pending": "Cette publication a déjà été "
    "décidée : rien n'a été changé.", "no_posts": "Aucune publication.", "post_results": "Résultats",
    "post_id_on": "Publication", "approved_by_on": "Approuvée par", "published_on": "Publiée le",
    "approval_needed_help": "Validation requise : rien n'est publié sans votre accord (option "
    "socialApprovalRequired).", "approval_off_help": "Validation désactivée : les publications partent dès "
    "qu'elles sont proposées (option socialApprovalRequired).", "change_option": "Changer l'option",
    "post_preview": "Aperçu de la publication",
    "platform_facebook": "Facebook", "platform_instagram": "Instagram", "wf_actions": "Actions",
    "wf_step": "Étape", "wf_no_steps": "Aucune étape pour l'instant.", "wf_edit": "Modifier l'automatisation",
    "wf_cron_help": "Cinq champs (minute heure jour mois jour-de-semaine), à l'heure de la boutique ; "
    "ex. 0 3 * * * chaque jour à 3 h.", "wf_steps_json": "Étapes (JSON)", "wf_steps_help": "La liste des "
    "étapes : type, config, retry {max, base_delay_ms}, timeout_ms. Les réglages de durée de conservation "
    "d'une tâche de maintenance se changent ici (retention_days).", "wf_save": "Enregistrer les modifications",
    "wf_saved_done": "Automatisation enregistrée.", "wf_refused": "Refusé :",
    "description": "Description",
}
EN: dict[str, str] = {
    "workflows": "Automations", "social": "Social posts", "workflows_nav": "Automation pages",
    "workflow_list": "Automations", "workflow_runs": "Runs", "workflow": "Automation", "trigger": "Trigger",
    "trigger_event": "Event", "trigger_cron": "Schedule", "trigger_manual": "Manual", "last_run": "Last run",
    "wf_enabled": "On", "wf_disabled": "Off", "enable": "Turn on", "disable": "Turn off", "run_now": "Run now",
    "wf_steps": "Steps", "step_type": "Type", "retry": "Retries", "timeout": "Time-out", "wf_config": "Settings",
    "no_workflows": "No automations.", "no_wf_runs": "No runs.", "attempt": "Attempt", "attempts": "Attempts",
    "wf_output": "Output", "wf_input": "Input", "provider_id": "Provider id", "wf_error": "Error",
    "wf_duration": "Duration", "wf_started": "Started", "wf_finished": "Finished", "wf_status": "Status",
    "next_run": "Next run", "wf_run_queued": "Queued", "wf_run_running": "Running", "wf_run_waiting": "Waiting",
    "wf_run_completed": "Completed", "wf_run_failed": "Failed", "step_running": "Running",
    "step_succeeded": "Succeeded", "step_failed": "Failed", "step_unknown": "Unknown outcome",
    "wf_enabled_done": "Automation turned on.", "wf_disabled_done": "Automation turned off.",
    "wf_run_done": "Run started.", "wf_not_found": "Automation not found.", "wf_run_not_found": "Run not found.",
    "workflows_down": "The workflows service is not answering; try again in a moment.",
    "workflows_refused": "Refused by the workflows service:", "wf_run_step": "Current step",
    "wf_trigger_ref": "Origin", "wf_all": "All", "social_queue": "Social media posts", "post_pending": "To review",
    "post_approved": "Approved", "post_rejected": "Rejected", "post_published": "Published", "post_failed": "Failed",
    "platforms": "Networks", "scheduled_for": "Scheduled for", "queued_by": "Proposed by",
    "source_agent": "an agent", "source_workflow": "an automation", "source_owner": "the owner",
    "media": "Media", "media_image": "Attached image", "media_video": "Attached video",
    "open_media": "Open the media", "approve_post": "Approve and publish", "reject_post": "Reject",
    "reject_post_reason": "Reason for rejecting", "post_approved_done": "Post approved: it goes out now "
    "(or at its scheduled time).", "post_rejected_done": "Post rejected.", "post_not_found": "Post not found.",
    "post_not_pending": "This post was already decided: nothing was changed.", "no_posts": "No posts.",
    "post_results": "Results", "post_id_on": "Post", "approved_by_on": "Approved by",
    "published_on": "Published", "approval_needed_help": "Approval required: nothing is published without "
    "your approval (option socialApprovalRequired).", "approval_off_help": "Approval off: posts go out as soon "
    "as they are proposed (option socialApprovalRequired).", "change_option": "Change the option",
    "post_preview": "Post preview",
    "platform_facebook": "Facebook", "platform_instagram": "Instagram", "wf_actions": "Actions",
    "wf_step": "Step", "wf_no_steps": "No steps yet.", "wf_edit": "Change the automation",
    "wf_cron_help": "Five fields (minute hour day month weekday), in the shop's time zone; e.g. 0 3 * * * "
    "daily at 3 am.", "wf_steps_json": "Steps (JSON)", "wf_steps_help": "The list of steps: type, config, "
    "retry {max, base_delay_ms}, timeout_ms. A maintenance job's retention is changed here (retention_days).",
    "wf_save": "Save the changes", "wf_saved_done": "Automation saved.", "wf_refused": "Refused:",
    "description": "Description",
}
for _words, _ours in ((i18n.FR, FR), (i18n.EN, EN)):
    for _key, _word in _ours.items():
        _words.setdefault(_key, _word)


WorkflowsDown = remote.ServiceDown


async def _ask(gw: Gateway, request_type: str, body: Message, reply: type[Any],
               request_id: uuid.UUID | None = None) -> Any:
    return await remote.ask(gw, "workflows", request_type, body, reply, request_id=request_id)


def _form_request_id(value: str) -> uuid.UUID:
    """The request id the form was drawn with (a resent form acts once); a fresh one if it is garbled."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.uuid4()


def _message(request: Request, login: LoginSession, key: str, status: int, back: str,
             detail: str | None = None) -> Response:
    return page(request, "workflows_message.html", login, status=status, message_key=key, back=back, detail=detail)


def _down(request: Request, login: LoginSession, back: str) -> Response:
    return _message(request, login, "workflows_down", 503, back)


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _done(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _pick(value: str | None, allowed: tuple[str, ...]) -> Any:
    return value if value in allowed else None


# ---- workflows ------------------------------------------------------------------------------------
@router.get("")
@router.get("/")
async def workflows(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    try:
        found: WorkflowList = await _ask(gw, ListWorkflows.TYPE, ListWorkflows(), WorkflowList)
    except (WorkflowsDown, RemoteError):
        return _down(request, login, "/admin/workflows")
    return page(request, "workflows.html", login, items=found.workflows, done=request.query_params.get("done"),
                request_id=lambda: str(uuid.uuid4()))


@router.get("/w/{name}")
async def workflow_detail(name: str, request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    return await _detail_page(request, gw, login, name)


async def _detail_page(request: Request, gw: Gateway, login: LoginSession, name: str, status: int = 200,
                       values: dict[str, str] | None = None, error: str | None = None) -> Response:
    try:
        found: WorkflowReply = await _ask(gw, GetWorkflow.TYPE, GetWorkflow(name=name[:80]), WorkflowReply)
    except RemoteError as exc:
        if exc.code == "not_found":
            return _message(request, login, "wf_not_found", 404, "/admin/workflows")
        return _message(request, login, "workflows_refused", 422, "/admin/workflows", exc.message)
    except WorkflowsDown:
        return _down(request, login, "/admin/workflows")
    w = found.workflow
    form = values or {"description": w.description or "", "trigger_cron": w.trigger_cron or "",
                      "steps": _pretty([step.model_dump(mode="json", exclude_none=True) for step in w.steps])}
    return page(request, "workflows_detail.html", login, status=status, w=w, runs=found.runs, pretty=_pretty,
                done=request.query_params.get("done"), request_id=lambda: str(uuid.uuid4()), form=form,
                edit_error=error)


def _edited(current: Any, values: dict[str, str]) -> tuple[WorkflowDefinition | None, str | None]:
    """The definition the edit form describes, or the reason it is not one (shown next to the form)."""
    try:
        steps = json.loads(values["steps"])
    except json.JSONDecodeError as exc:
        return None, f"steps: not JSON ({exc.msg}, line {exc.lineno})"
    if not isinstance(steps, list):
        return None, "steps: a JSON list of steps is expected"
    try:
        return WorkflowDefinition(
            name=current.name, description=values["description"].strip() or None,
            trigger_event=current.trigger_event,
            trigger_cron=(values["trigger_cron"].strip() or None) if current.trigger_cron else None,
            steps=steps, settings=current.settings, enabled=current.enabled), None
    except ValidationError as exc:
        first = exc.errors()[0]
        return None, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


@router.post("/w/{name}/edit")
async def edit_workflow(name: str, request: Request, gw: GatewayDep, csrf: Csrf = "", request_id: RequestId = "",
                        description: Annotated[str, Form(max_length=2000)] = "",
                        trigger_cron: Annotated[str, Form(max_length=200)] = "",
                        steps: Annotated[str, Form(max_length=100_000)] = "") -> Response:
    """Change a workflow's description, schedule and steps (its name, trigger kind and state stay)."""
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    values = {"description": description, "trigger_cron": trigger_cron, "steps": steps}
    try:
        found: WorkflowReply = await _ask(gw, GetWorkflow.TYPE, GetWorkflow(name=name[:80]), WorkflowReply)
    except RemoteError as exc:
        key = "wf_not_found" if exc.code == "not_found" else "workflows_refused"
        return _message(request, login, key, ERROR_STATUS.get(exc.code, 422), "/admin/workflows", exc.message)
    except WorkflowsDown:
        return _down(request, login, "/admin/workflows")
    definition, error = _edited(found.workflow, values)
    if definition is None:
        return await _detail_page(request, gw, login, name, 422, values, error)
    try:
        await _ask(gw, UpdateWorkflow.TYPE, UpdateWorkflow(name=name[:80], workflow=definition), WorkflowReply,
                   request_id=_form_request_id(request_id))
    except RemoteError as exc:
        if exc.code == "invalid_workflow":
            return await _detail_page(request, gw, login, name, 422, values, exc.message)
        key = "wf_not_found" if exc.code == "not_found" else "workflows_refused"
        return _message(request, login, key, ERROR_STATUS.get(exc.code, 422), "/admin/workflows", exc.message)
    except WorkflowsDown:
        return _down(request, login, f"/admin/workflows/w/{name[:80]}")
    await audit.record(gw.pool, login.user, "changed", f"workflow {name[:80]}")
    return _done(f"/admin/workflows/w/{name[:80]}?done=wf_saved")


def _back(next_path: str, name: str) -> str:
    if next_path.startswith("/admin/workflows") and "//" not in next_path and "\\" not in next_path:
        return next_path.split("?", 1)[0]
    return f"/admin/workflows/w/{name[:80]}"


@router.post("/w/{name}/enabled")
async def set_enabled(name: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                      enabled: Annotated[str, Form(max_length=10)] = "",
                      request_id: RequestId = "",
                      next_path: Annotated[str, Form(alias="next", max_length=500)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    back = _back(next_path, name)
    on = enabled == "true"
    try:
        await _ask(gw, SetWorkflowEnabled.TYPE, SetWorkflowEnabled(name=name[:80], enabled=on), WorkflowReply,
                   request_id=_form_request_id(request_id))
    except RemoteError as exc:
        key = "wf_not_found" if exc.code == "not_found" else "workflows_refused"
        return _message(request, login, key, ERROR_STATUS.get(exc.code, 422), back, exc.message)
    except WorkflowsDown:
        return _down(request, login, back)
    await audit.record(gw.pool, login.user, "enabled" if on else "disabled", f"workflow {name[:80]}")
    return _done(f"{back}?done={'wf_enabled' if on else 'wf_disabled'}")


@router.post("/w/{name}/run")
async def run_now(name: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                  request_id: RequestId = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    back = f"/admin/workflows/w/{name[:80]}"
    try:
        started: RunReply = await _ask(gw, RunWorkflow.TYPE, RunWorkflow(name=name[:80]), RunReply,
                                       request_id=_form_request_id(request_id))
    except RemoteError as exc:
        key = "wf_not_found" if exc.code == "not_found" else "workflows_refused"
        return _message(request, login, key, ERROR_STATUS.get(exc.code, 422), back, exc.message)
    except WorkflowsDown:
        return _down(request, login, back)
    await audit.record(gw.pool, login.user, "ran", f"workflow {name[:80]}", run_id=started.run.id)
    return _done(f"/admin/workflows/runs/{started.run.id}?done=wf_run")


@router.get("/runs")
async def runs(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    status = _pick(request.query_params.get("status"), RUN_STATUSES)
    name = (request.query_params.get("workflow") or "").strip()[:80] or None
    try:
        found: WorkflowRunList = await _ask(gw, ListWorkflowRuns.TYPE,
                                            ListWorkflowRuns(name=name, status=status, limit=100), WorkflowRunList)
    except (WorkflowsDown, RemoteError):
        return _down(request, login, "/admin/workflows")
    return page(request, "workflows_runs.html", login, runs=found.runs, run_status=status, statuses=RUN_STATUSES,
                workflow_name=name)


@router.get("/runs/{run_id}")
async def run_detail(run_id: str, request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    try:
        found: RunReply = await _ask(gw, GetWorkflowRun.TYPE, GetWorkflowRun(run_id=run_id[:64]), RunReply)
    except RemoteError as exc:
        if exc.code == "not_found":
            return _message(request, login, "wf_run_not_found", 404, "/admin/workflows/runs")
        return _message(request, login, "workflows_refused", 422, "/admin/workflows/runs", exc.message)
    except WorkflowsDown:
        return _down(request, login, "/admin/workflows/runs")
    steps: dict[int, list[Any]] = {}
    for attempt in sorted(found.run.steps, key=lambda s: (s.step_index, s.attempt)):
        steps.setdefault(attempt.step_index, []).append(attempt)
    return page(request, "workflows_run.html", login, run=found.run, steps=steps, pretty=_pretty,
                done=request.query_params.get("done"))


# ---- the social queue -----------------------------------------------------------------------------
def media_preview(settings: Settings, post: SocialPost) -> dict[str, str] | None:
    """What the page shows of a post's media: our stored file through the gateway, else a link."""
    url = post.media_url
    if not url:
        return None
    if url.startswith("files:"):
        src = FILES + url[len("files:"):]
    elif url.startswith(settings.public_link(FILES)):
        src = FILES + url[len(settings.public_link(FILES)):]
    else:
        return {"kind": "link", "href": url, "media_type": post.media_type or "image"}
    return {"kind": post.media_type or "image", "href": src, "media_type": post.media_type or "image"}


@social_router.get("")
@social_router.get("/")
async def social(request: Request, gw: GatewayDep) -> Response:
    login = await auth.require(request, gw, owner=True)
    asked = request.query_params.get("status")
    chosen = None if asked == "all" else _pick(asked, POST_STATUSES) if asked else "pending"
    try:
        found: SocialPostList = await _ask(gw, ListSocialPosts.TYPE, ListSocialPosts(status=chosen, limit=100),
                                           SocialPostList)
    except (WorkflowsDown, RemoteError):
        return _down(request, login, "/admin/social")
    approval = (await read_flags(gw.pool)).social_approval_required
    return page(request, "social.html", login, posts=found.posts, post_status=chosen or "all", approval=approval,
                statuses=POST_STATUSES, done=request.query_params.get("done"),
                preview=lambda p: media_preview(gw.settings, p), request_id=lambda: str(uuid.uuid4()))


async def _decide(request: Request, gw: Gateway, login: LoginSession, post_id: str, body: Message,
                  request_id: str, action: str, **details: Any) -> Response:
    back = "/admin/social"
    try:
        await _ask(gw, body.TYPE, body, SocialPostReply, request_id=_form_request_id(request_id))
    except RemoteError as exc:
        key = {"not_found": "post_not_found", "invalid_state": "post_not_pending"}.get(exc.code, "workflows_refused")
        return _message(request, login, key, ERROR_STATUS.get(exc.code, 422), back, exc.message)
    except WorkflowsDown:
        return _down(request, login, back)
    await audit.record(gw.pool, login.user, action, f"social post {post_id[:100]}", **details)
    return _done(f"{back}?done=post_{action}")


@social_router.post("/{post_id}/approve")
async def approve(post_id: str, request: Request, gw: GatewayDep, csrf: Csrf = "",
                  request_id: RequestId = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    body = ApproveSocialPost(id=post_id[:100], approved_by=login.user.email)
    return await _decide(request, gw, login, post_id, body, request_id, "approved")


@social_router.post("/{post_id}/reject")
async def reject(post_id: str, request: Request, gw: GatewayDep, csrf: Csrf = "", request_id: RequestId = "",
                 reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    login = await auth.require(request, gw, owner=True)
    auth.check_csrf(request, login, csrf)
    body = RejectSocialPost(id=post_id[:100], reason=reason.strip()[:2000], rejected_by=login.user.email)
    return await _decide(request, gw, login, post_id, body, request_id, "rejected", reason=reason.strip()[:500])
