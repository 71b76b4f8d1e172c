"""Every published event is consumed or declared log-only (libs/common/events/routing.py), and the
architecture document lists the log-only ones."""

from __future__ import annotations

import re
from pathlib import Path

from libs.common.events.routing import CONSUMED_OUTSIDE_SERVICES, LOG_ONLY
from libs.common.messages import registry

DOC = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text(encoding="utf-8")


def _consumed_by_services() -> dict[str, list[str]]:
    from services.billing.app import svc as billing
    from services.chat.app import svc as chat
    from services.rag.app import svc as rag
    from services.security.app import svc as security

    consumed: dict[str, list[str]] = {}
    for svc in (billing, chat, rag, security):
        for sub in svc.events:
            for event_type in sub.types:
                consumed.setdefault(event_type, []).append(f"{svc.name}:{sub.queue}")
    return consumed


def test_declared_types_exist_and_log_only_ones_are_not_consumed() -> None:
    known = registry()
    assert set(LOG_ONLY) <= set(known), set(LOG_ONLY) - set(known)
    assert set(CONSUMED_OUTSIDE_SERVICES) <= set(known), set(CONSUMED_OUTSIDE_SERVICES) - set(known)
    consumed = _consumed_by_services()
    assert not set(LOG_ONLY) & set(consumed), "a consumed type is declared log-only"
    assert not set(LOG_ONLY) & set(CONSUMED_OUTSIDE_SERVICES)


def test_the_architecture_document_lists_the_log_only_types() -> None:
    section = DOC.split("## Log-only events", 1)[1].split("## Event catalogue", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_.]+)` \|", section, flags=re.MULTILINE))
    assert listed == set(LOG_ONLY)
