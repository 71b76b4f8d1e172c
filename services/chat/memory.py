"""Conversation memory: the stored history, the rolling summary and the long-term visitor context.

The full history stays in `messages` (bounded by maxTurns) so the widget can restore it; the prompt
only gets the summary plus the last `keep_recent` messages. Older messages are folded into the
summary extractively (one short line per message, the most recent kept when it overflows): no LLM
call, so it costs nothing per turn, works in grounded mode, and cannot be prompt-injected.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.chat.repo import SessionRow

LINE_CHARS = 160
ROLE_LABEL = {"user": "Visiteur", "assistant": "Assistant"}


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def expired(session: SessionRow, ttl_days: int, now: datetime | None = None) -> bool:
    if not session.exists or session.updated_at is None or ttl_days <= 0:
        return False
    return (now or datetime.now(UTC)) - session.updated_at > timedelta(days=ttl_days)


def turns(session: SessionRow) -> int:
    return session.earlier_visitor_messages + sum(1 for m in session.messages if m.get("role") == "user")


def _line(message: dict[str, Any]) -> str:
    text = " ".join(str(message.get("content", "")).split())
    if len(text) > LINE_CHARS:
        text = text[: LINE_CHARS - 1] + "…"
    return f"{ROLE_LABEL.get(str(message.get('role')), 'Assistant')}: {text}"


def fold_summary(summary: str | None, folded: list[dict[str, Any]], max_chars: int) -> str:
    lines = [line for line in (summary or "").splitlines() if line.strip()]
    lines += [_line(m) for m in folded]
    while len(lines) > 1 and sum(len(line) + 1 for line in lines) > max_chars:
        lines.pop(0)
    return "\n".join(lines)[-max_chars:]


def append_turn(
    session: SessionRow,
    user: dict[str, Any],
    assistant: dict[str, Any],
    *,
    summary_after: int,
    keep_recent: int,
    summary_max_chars: int,
) -> bool:
    """Add one exchange; fold the oldest unsummarised messages once there are too many.

    Returns True when the summary changed. `metadata.summarized_upto` marks how many messages the
    summary covers. Positions count from the start of the stored history; `session.messages` may
    hold only its end (from `window_start`, never past what the summary covers).
    """
    session.messages.extend([user, assistant])
    total = session.message_count = session.total_messages
    covered = _covered(session)
    if total - covered <= summary_after:
        return False
    upto = total - keep_recent
    start = session.window_start
    session.summary = fold_summary(session.summary, session.messages[covered - start:upto - start],
                                   summary_max_chars)
    session.metadata["summarized_upto"] = upto
    return True


EMBED_CHARS = 800


def embedding_text(summary: str) -> str:
    """What the long-term context's vector is made of: the visitor's own lines of the summary (what
    they asked about, in their words), the most recent first kept, at most EMBED_CHARS. The
    assistant's answers are long and say the shop's words back; embedding them costs more and blurs
    the visitor's topics (docs/benchmarks.md, "Measured choices in the code"). A summary without
    visitor lines is used as it is."""
    prefix = ROLE_LABEL["user"] + ": "
    lines = [line[len(prefix):] for line in summary.splitlines() if line.startswith(prefix)]
    text = "\n".join(lines) if lines else summary
    return text[-EMBED_CHARS:]


def _covered(session: SessionRow) -> int:
    covered = int(session.metadata.get("summarized_upto", 0))
    # a mark past the end is stale (the session was emptied by a reset): nothing is summarised;
    # a loaded window starts at the mark, so what it does not hold is covered
    covered = covered if covered <= session.total_messages else 0
    return max(covered, session.window_start)


def recent(session: SessionRow, keep_recent: int) -> list[dict[str, Any]]:
    start = max(_covered(session), session.total_messages - keep_recent)
    return session.messages[start - session.window_start:]


def context_update(
    previous: dict[str, Any] | None,
    *,
    summary: str | None,
    entities: dict[str, list[str]],
    intents: list[str],
    topics: list[str],
    sentiment: str | None,
) -> dict[str, Any]:
    """The long-term context row (app_conversation_contexts) after one more turn."""
    prev = previous or {}
    key_facts = list(prev.get("key_facts") or [])
    for kind in ("name", "email", "phone", "preference"):
        for value in entities.get(kind, []):
            fact = f"{kind}: {value}"
            if fact not in key_facts:
                key_facts.append(fact)
    merged_entities = {k: list(v) for k, v in (prev.get("entities") or {}).items()}
    for kind, values in entities.items():
        merged_entities[kind] = list(dict.fromkeys([*values, *merged_entities.get(kind, [])]))[:10]
    history = list(prev.get("intent_history") or [])
    history += [{"intent": i, "at": now_iso()} for i in intents]
    return {
        "summary": summary or prev.get("summary"),
        "key_facts": key_facts[-30:],
        "entities": merged_entities,
        "topics": list(dict.fromkeys([*(prev.get("topics") or []), *topics]))[-30:],
        "sentiment": sentiment or prev.get("sentiment") or "neutral",
        "intent_history": history[-50:],
    }


def exchange_summary(session: SessionRow, max_chars: int) -> str:
    """A summary for the long-term context: the rolling summary plus the last exchange."""
    return fold_summary(session.summary, session.messages[-2:], max_chars)
