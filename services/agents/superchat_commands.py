"""The super chat's commands, understood without a language model, and their French answers.

    /aide                              the commands
    /leads [7j | 24h | 30 jours]       leads of the period (7 days by default)
    /devis [en attente | payés | expirés | annulés | tous]   quotes (pending by default)
    /incidents [critiques | élevés | moyens | faibles] [résolus | tous]   unresolved by default
    /runs [en cours | en pause | terminés | échoués | annulés]   the agents' runs
    /approbations                      the actions waiting for the owner's approval
    /objectif [agent] texte            creates an objective for the agent and starts it

A plain question that names one of these ("combien de leads cette semaine ?", "quels devis sont en
attente ?", "montre les incidents critiques") is read the same way, so the chat answers from the data
even with no model configured.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

IntentKind = Literal["help", "leads", "quotes", "incidents", "runs", "approvals", "objective", "unknown"]
DEFAULT_DAYS = 7
MAX_DAYS = 365
AGENT_ALIASES = {"ventes": "sales_agent", "vente": "sales_agent", "sales": "sales_agent",
                 "commercial": "sales_agent", "contenu": "content_agent", "content": "content_agent",
                 "securite": "security_agent", "security": "security_agent"}
CONTENT_WORDS = ("post", "instagram", "facebook", "publication", "newsletter", "contenu", "article", "reseau")
SECURITY_WORDS = ("incident", "securite", "attaque", "flag", "option", "injection", "fraude")
DEFAULT_AGENT = "sales_agent"


@dataclass(frozen=True)
class Intent:
    kind: IntentKind
    days: int = DEFAULT_DAYS
    status: str | None = None
    severity: str | None = None
    resolved: bool | None = False
    agent: str | None = None
    text: str = ""


def fold(text: str) -> str:
    """Lower case without accents: « Devis payés » → « devis payes »."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


_PERIOD = re.compile(r"(\d{1,3})\s*(j|jours?|d|days?|h|heures?|hours?|sem|semaines?|weeks?|mois|months?)\b")


def period_days(text: str) -> int:
    folded = fold(text)
    found = _PERIOD.search(folded)
    if found:
        n, unit = int(found.group(1)), found.group(2)
        if unit.startswith("h"):
            days = max(1, -(-n // 24))
        elif unit.startswith(("sem", "week")):
            days = n * 7
        elif unit.startswith(("mois", "month")):
            days = n * 30
        else:
            days = n
        return max(1, min(MAX_DAYS, days))
    if "aujourd'hui" in folded or "today" in folded or "24 heures" in folded or "24 hours" in folded:
        return 1
    if "hier" in folded:
        return 2
    if "mois" in folded or "month" in folded:
        return 30
    if "annee" in folded or "an " in f"{folded} ":
        return 365
    return DEFAULT_DAYS


def quote_status(text: str) -> str | None:
    folded = fold(text)
    if re.search(r"\b(tous|toutes|all)\b", folded):
        return None
    for words, status in ((("paye", "regle", "paid"), "paid"), (("expire", "expired", "perime"), "expired"),
                          (("annule", "cancel"), "cancelled")):
        if any(w in folded for w in words):
            return status
    return "pending"


def incident_filter(text: str) -> tuple[str | None, bool | None]:
    folded = fold(text)
    severity = None
    for words, level in ((("critique", "critical"), "critical"), (("eleve", "grave", "high", "haut"), "high"),
                         (("moyen", "medium"), "medium"), (("faible", "low", "mineur"), "low")):
        if any(w in folded for w in words):
            severity = level
            break
    resolved: bool | None = False
    if re.search(r"\b(tous|toutes|all)\b", folded):
        resolved = None
    elif re.search(r"\b(resolus?|resolues?|traites?|resolved)\b", folded) and "non resolu" not in folded:
        resolved = True
    return severity, resolved


def run_status(text: str) -> str | None:
    folded = fold(text)
    for words, status in ((("en cours", "running", "actif"), "running"), (("pause", "paused", "attente"), "paused"),
                          (("termine", "completed", "fini", "reussi"), "completed"),
                          (("echoue", "failed", "erreur", "echec"), "failed"), (("annule", "cancel"), "cancelled")):
        if any(w in folded for w in words):
            return status
    return None


def choose_agent(text: str, known: list[str]) -> tuple[str, str]:
    """The agent an objective is for and the objective's text: a first word naming an agent (or an
    alias: « ventes », « contenu », « sécurité ») wins; otherwise the text's words decide."""
    first, _, rest = text.strip().partition(" ")
    name = first.strip(":,").lower()
    alias = AGENT_ALIASES.get(fold(name), name)
    if alias in known and rest.strip():
        return alias, rest.strip(" :")
    folded = fold(text)
    if any(w in folded for w in CONTENT_WORDS) and "content_agent" in known:
        return "content_agent", text.strip()
    if any(w in folded for w in SECURITY_WORDS) and "security_agent" in known:
        return "security_agent", text.strip()
    return (DEFAULT_AGENT if DEFAULT_AGENT in known or not known else known[0]), text.strip()


_OBJECTIVE = re.compile(r"^(?:cree|creer|crée|créer|lance|lancer|demarre|demarrer|démarre|démarrer)"
                        r"\s+(?:un\s+|l')?objectif\s*:?\s*(.+)$", re.IGNORECASE | re.DOTALL)


def parse(message: str) -> Intent:
    """What the owner asks, read from a command or from the words of a question."""
    text = message.strip()
    if text.startswith("/"):
        command, _, rest = text[1:].partition(" ")
        command = fold(command)
        rest = rest.strip()
        if command in ("aide", "help", "commandes", "commands", "?"):
            return Intent("help")
        if command in ("leads", "lead", "prospects", "prospect"):
            return Intent("leads", days=period_days(rest) if rest else DEFAULT_DAYS)
        if command in ("devis", "quotes", "quote"):
            return Intent("quotes", status=quote_status(rest) if rest else "pending")
        if command in ("incidents", "incident"):
            severity, resolved = incident_filter(rest)
            return Intent("incidents", severity=severity, resolved=resolved)
        if command in ("runs", "run", "executions"):
            return Intent("runs", status=run_status(rest) if rest else None)
        if command in ("approbations", "approbation", "approvals", "validations"):
            return Intent("approvals")
        if command in ("objectif", "objective"):
            return Intent("objective", text=rest)
        return Intent("unknown", text=text)
    objective = _OBJECTIVE.match(text)
    if objective:
        return Intent("objective", text=objective.group(1).strip())
    folded = fold(text)
    if re.search(r"\b(leads?|prospects?|contacts?)\b", folded):
        return Intent("leads", days=period_days(text))
    if re.search(r"\bdevis\b|\bquotes?\b", folded):
        return Intent("quotes", status=quote_status(text))
    if re.search(r"\bincidents?\b|\bsecurite\b", folded):
        severity, resolved = incident_filter(text)
        return Intent("incidents", severity=severity, resolved=resolved)
    if re.search(r"\b(approbations?|valider|approuver|validation)\b", folded):
        return Intent("approvals")
    if re.search(r"\b(runs?|executions?|agents?)\b", folded):
        return Intent("runs", status=run_status(text))
    if re.search(r"\b(aide|help|commandes?)\b", folded):
        return Intent("help")
    return Intent("unknown", text=text)


# ---- French answers ------------------------------------------------------------------------------
HELP = (
    "Je réponds à partir des données de la boutique. Commandes :\n"
    "• /leads 7j — les prospects de la période (7j, 24h, 30j…)\n"
    "• /devis en attente — les devis (en attente, payés, expirés, annulés, tous)\n"
    "• /incidents — les incidents de sécurité non résolus (critiques, élevés, résolus, tous…)\n"
    "• /runs — les exécutions des agents (en cours, en pause, terminés, échoués)\n"
    "• /approbations — les actions qui attendent votre accord\n"
    "• /objectif [agent] texte — crée un objectif et lance l'agent "
    "(sales_agent, content_agent, security_agent)\n"
    "• /aide — cette aide\n"
    "Vous pouvez aussi écrire : « combien de leads cette semaine ? », « quels devis sont en attente ? », "
    "« montre les incidents critiques »."
)
UNKNOWN = "Je n'ai pas compris la demande. " + HELP
QUOTE_WORDS = {"pending": "en attente", "paid": "payés", "expired": "expirés", "cancelled": "annulés"}
SEVERITY_WORDS = {"critical": "critiques", "high": "de gravité élevée", "medium": "de gravité moyenne",
                  "low": "de faible gravité"}
RUN_WORDS = {"running": "en cours", "paused": "en pause", "completed": "terminées", "failed": "échouées",
             "cancelled": "annulées"}
RUN_ONE = {"running": "en cours", "paused": "en pause", "completed": "terminée", "failed": "échouée",
           "cancelled": "annulée"}


def money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    whole, _, cents = f"{amount:,.2f}".partition(".")
    return f"{whole.replace(',', ' ')},{cents}"


def when(value: Any) -> str:
    text = str(value or "")
    return text[:16].replace("T", " ") if text else "—"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"  # French: 0 and 1 take the singular


def period_words(days: int) -> str:
    if days == 1:
        return "ces dernières 24 heures"
    if days == 7:
        return "ces 7 derniers jours"
    return f"ces {days} derniers jours"


def answer_leads(data: dict[str, Any]) -> str:
    n = int(data["count"])
    head = f"{_plural(n, 'prospect', 'prospects')} {period_words(int(data['days']))}"
    if n == 0:
        return head + "."
    buyers = int(data["buyers"])
    bought = "aucun n'a acheté" if buyers == 0 else _plural(buyers, "a acheté", "ont acheté")
    head += f" ({bought}, score moyen {data['avg_score']})."
    lines = [f"• {r.get('name') or '(sans nom)'} <{r.get('email') or '—'}> — score {r.get('score') or 0}, "
             f"{r.get('source') or '—'}, {when(r.get('created_at'))}" for r in data["items"]]
    return head + " Les mieux notés :\n" + "\n".join(lines)


def answer_quotes(data: dict[str, Any]) -> str:
    n = int(data["count"])
    status = data.get("status")
    label = QUOTE_WORDS.get(status or "", "")
    head = _plural(n, "devis", "devis") + (f" {label}" if label else " au total")
    if n == 0:
        return head + "."
    head += f", {money(data['amount'])} EUR au total"
    if status == "pending" and int(data.get("expiring_24h") or 0):
        head += f" ({data['expiring_24h']} expire(nt) dans les 24 heures)"
    lines = [f"• {when(r.get('created_at'))} {r.get('email') or '—'} — {money(r.get('total') or 0)} "
             f"{r.get('currency') or 'EUR'} ({QUOTE_WORDS.get(r.get('status') or '', r.get('status'))}), "
             f"échéance {when(r.get('expires_at'))}" for r in data["items"]]
    return head + " :\n" + "\n".join(lines)


def answer_incidents(data: dict[str, Any]) -> str:
    n = int(data["count"])
    s = "" if n <= 1 else "s"
    words = SEVERITY_WORDS.get(data.get("severity") or "", "")
    if data.get("severity") == "critical":
        words = f"critique{s}"
    state = {False: f" non résolu{s}", True: f" résolu{s}", None: ""}[data.get("resolved")]
    head = f"{n} incident{s}{(' ' + words) if words else ''}{state} sur {data['days']} jours"
    if n == 0:
        return head + "."
    lines = [f"• {r.get('severity')} · {r.get('type')} · {when(r.get('created_at'))}"
             + (f" · session {str(r['session_id'])[:16]}" if r.get("session_id") else "")
             + (" · résolu" if r.get("resolved") else "") for r in data["items"]]
    return head + " :\n" + "\n".join(lines)


def answer_runs(data: dict[str, Any]) -> str:
    n = int(data["count"])
    label = RUN_WORDS.get(data.get("status") or "", "")
    head = _plural(n, "exécution d'agent", "exécutions d'agents") + (f" {label}" if label else "")
    if n == 0:
        return head + "."
    lines = [f"• {r.get('title') or '—'} (n°{r.get('run_number')}, {r.get('agent') or '—'}) — "
             f"{RUN_ONE.get(r.get('status') or '', '?')}{' : ' + r['stop_reason'] if r.get('stop_reason') else ''}, "
             f"{r.get('steps') or 0} étapes, {when(r.get('started_at'))}" for r in data["items"]]
    return head + " :\n" + "\n".join(lines)


def answer_approvals(data: dict[str, Any]) -> str:
    n = int(data["count"])
    if n == 0:
        return "Aucune action n'attend votre accord."
    head = _plural(n, "action attend", "actions attendent") + " votre accord (page Approbations) :"
    lines = [f"• {r.get('tool')} ({r.get('agent') or '—'}, « {r.get('title') or '—'} ») — "
             f"{r.get('risk_reason') or 'à valider'}, expire {when(r.get('expires_at'))}" for r in data["items"]]
    return head + "\n" + "\n".join(lines)


# ---- English answers (an owner whose console is in English) ---------------------------------------
HELP_EN = (
    "I answer from the shop's data. Commands:\n"
    "• /leads 7j — leads of the period (7j, 24h, 30j…)\n"
    "• /devis en attente — quotes (en attente = pending, payés = paid, expirés, annulés, tous = all)\n"
    "• /incidents — unresolved security incidents (critiques, élevés, résolus, tous…)\n"
    "• /runs — the agents' runs\n"
    "• /approbations — the actions waiting for your approval\n"
    "• /objectif [agent] text — creates an objective and starts the agent "
    "(sales_agent, content_agent, security_agent)\n"
    "• /aide — this help\n"
    "You may also ask: “how many leads this week?”, “which quotes are pending?”, “show critical incidents”."
)
UNKNOWN_EN = "I did not understand. " + HELP_EN


def _en(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _period_en(days: int) -> str:
    return "in the last 24 hours" if days == 1 else f"in the last {days} days"


def _answer_en(data: dict[str, Any]) -> str:
    kind, n = data.get("kind"), int(data.get("count") or 0)
    items: list[dict[str, Any]] = data.get("items") or []
    if kind == "leads":
        head = f"{_en(n, 'lead')} {_period_en(int(data['days']))}"
        if n == 0:
            return head + "."
        lines = [f"• {r.get('name') or '(no name)'} <{r.get('email') or '—'}> — score {r.get('score') or 0}, "
                 f"{r.get('source') or '—'}, {when(r.get('created_at'))}" for r in items]
        return (head + f" ({data['buyers']} bought, average score {data['avg_score']}). Best scored:\n"
                + "\n".join(lines))
    if kind == "quotes":
        status = data.get("status")
        head = _en(n, "quote") + (f" {status}" if status else " in all")
        if n == 0:
            return head + "."
        head += f", EUR {data['amount']} in total"
        if status == "pending" and int(data.get("expiring_24h") or 0):
            head += f" ({data['expiring_24h']} expiring within 24 hours)"
        lines = [f"• {when(r.get('created_at'))} {r.get('email') or '—'} — {r.get('total') or 0} "
                 f"{r.get('currency') or 'EUR'} ({r.get('status')}), due {when(r.get('expires_at'))}" for r in items]
        return head + ":\n" + "\n".join(lines)
    if kind == "incidents":
        severity = f" {data['severity']}" if data.get("severity") else ""
        state = {False: " unresolved", True: " resolved", None: ""}[data.get("resolved")]
        head = f"{n}{state}{severity} incident{'' if n == 1 else 's'} in {data['days']} days"
        if n == 0:
            return head + "."
        lines = [f"• {r.get('severity')} · {r.get('type')} · {when(r.get('created_at'))}"
                 + (" · resolved" if r.get("resolved") else "") for r in items]
        return head + ":\n" + "\n".join(lines)
    if kind == "runs":
        head = _en(n, "agent run") + (f" {data['status']}" if data.get("status") else "")
        if n == 0:
            return head + "."
        lines = [f"• {r.get('title') or '—'} (no. {r.get('run_number')}, {r.get('agent') or '—'}) — {r.get('status')}"
                 f"{': ' + r['stop_reason'] if r.get('stop_reason') else ''}, "
                 f"{r.get('steps') or 0} steps, {when(r.get('started_at'))}" for r in items]
        return head + ":\n" + "\n".join(lines)
    if kind == "approvals":
        if n == 0:
            return "No action is waiting for your approval."
        lines = [f"• {r.get('tool')} ({r.get('agent') or '—'}, “{r.get('title') or '—'}”) — "
                 f"{r.get('risk_reason') or 'to review'}, expires {when(r.get('expires_at'))}" for r in items]
        return f"{_en(n, 'action')} waiting for your approval (Approvals page):\n" + "\n".join(lines)
    return UNKNOWN_EN


def help_text(locale: str = "fr") -> str:
    return HELP_EN if locale == "en" else HELP


def unknown_text(locale: str = "fr") -> str:
    return UNKNOWN_EN if locale == "en" else UNKNOWN


def answer(data: dict[str, Any], locale: str = "fr") -> str:
    """The answer to the rows of a read, in the owner's language (French by default)."""
    if locale == "en":
        return _answer_en(data)
    kind = data.get("kind")
    formats = {"leads": answer_leads, "quotes": answer_quotes, "incidents": answer_incidents,
               "runs": answer_runs, "approvals": answer_approvals}
    return formats[str(kind)](data) if kind in formats else UNKNOWN
