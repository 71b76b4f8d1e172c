"""Message schemas owned by the security service (screening, rate limits, output guard, incidents, logs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from libs.common.messages import Message, message_type

Verdict = Literal["allow", "flag", "block"]
IncidentType = Literal["injection", "disclosure", "role_override", "anomaly", "rate_limit", "none"]
Severity = Literal["low", "medium", "high", "critical"]
LogLevel = Literal["info", "warn", "error", "security"]
Scope = Literal["session", "ip", "route"]
ALL_SCOPES: tuple[Scope, ...] = ("session", "ip", "route")

# Generous bounds: the screener itself truncates; these only refuse absurd payloads on the broker.
MAX_TEXT_CHARS = 200_000


@message_type("security.screen")
class ScreenMessage(Message):
    """Should this visitor message go on to the assistant? Also counts it against the rate limits."""

    text: str = Field(max_length=MAX_TEXT_CHARS)
    session_id: str | None = Field(None, max_length=200)
    ip: str | None = Field(None, max_length=100)
    route: str = Field("chat", max_length=200)
    locale: str | None = Field(None, max_length=20)
    # False when the caller already asked security.check_rate_limit for this request.
    rate_limit: bool = True
    # Which limits to count when rate_limit is true (a gateway turn without a session: ["ip", "route"]).
    rate_scopes: list[Scope] = Field(default_factory=lambda: list(ALL_SCOPES))


@message_type("security.rate_limit.decision")
class RateLimitDecision(Message):
    allowed: bool
    limit: int
    remaining: int
    retry_after: int = 0
    reset_at: datetime | None = None
    blocked_until: datetime | None = None
    scope: str | None = None  # the scope that decided (the first refusing one, else the tightest)


@message_type("security.screen.verdict")
class ScreenVerdict(Message):
    verdict: Verdict
    type: IncidentType
    severity: Severity
    score: float
    signals: list[str] = []
    rate_limited: bool = False
    retry_after: int = 0
    safe_reply: str | None = None
    incident_id: str | None = None
    # The rate-limit decision when the request was counted (for RateLimit-* headers), else None.
    rate: RateLimitDecision | None = None


@message_type("security.check_rate_limit")
class CheckRateLimit(Message):
    """Count one request against every scope given (session, IP, route); limits come from config."""

    session_id: str | None = Field(None, max_length=200)
    ip: str | None = Field(None, max_length=100)
    route: str = Field("chat", max_length=200)
    # Which of the three limits to count; a gateway route without a session passes ["ip", "route"].
    scopes: list[Scope] = Field(default_factory=lambda: list(ALL_SCOPES))


@message_type("security.guard_output")
class GuardOutput(Message):
    """May this assistant reply be shown? Checked for canary, prompt echo, secrets and others' data."""

    reply: str = Field(max_length=MAX_TEXT_CHARS)
    session_id: str | None = Field(None, max_length=200)
    ip: str | None = Field(None, max_length=100)
    locale: str | None = Field(None, max_length=20)
    canary: str | None = Field(None, max_length=200)
    # libs.guard.output_guard.fingerprint(system_prompt): hashed word shingles, never the text.
    prompt_fingerprint: list[str] = Field(default_factory=list, max_length=20_000)
    # Values the reply may contain: the visitor's own e-mail/phone, the shop's public contacts.
    allowed_values: list[str] = Field(default_factory=list, max_length=200)
    # Company secrets that must never appear verbatim (API keys, passwords…), as configured by chat.
    secrets: list[str] = Field(default_factory=list, max_length=200)


@message_type("security.output.verdict")
class OutputVerdict(Message):
    verdict: Verdict
    type: IncidentType
    severity: Severity
    signals: list[str] = []
    reply: str  # the reply to show: the original, or the safe answer when blocked
    incident_id: str | None = None


@message_type("security.incident.recorded")
class SecurityIncidentRecorded(Message):
    incident_id: str
    type: IncidentType
    severity: Severity
    verdict: Verdict
    session_id: str | None = None
    ip: str | None = None
    route: str | None = None
    score: float = 0.0
    signals: list[str] = []
    escalated: bool = False
    blocked_until: datetime | None = None


@message_type("admin.log.recorded")
class AdminLogRecorded(Message):
    """A warn+ structured log line of some service, for the admin log (app_admin_logs)."""

    level: LogLevel
    category: str = Field("system", max_length=50)
    message: str = Field(max_length=4000)
    session_id: str | None = Field(None, max_length=200)
    service: str | None = Field(None, max_length=50)
    metadata: dict[str, Any] = Field(default_factory=dict)


@message_type("security.resolve_incident")
class ResolveIncident(Message):
    """Mark an incident resolved (sets `resolved`, `resolved_at`, keeps the note and who resolved it).
    Idempotent: resolving a resolved incident keeps its first `resolved_at`."""

    incident_id: str = Field(min_length=1, max_length=100)
    note: str = Field("", max_length=2000)
    resolved_by: str = Field(min_length=1, max_length=300)


@message_type("security.incident.resolution")
class IncidentResolution(Message):
    incident_id: str
    found: bool
    resolved: bool = False
    resolved_at: datetime | None = None
