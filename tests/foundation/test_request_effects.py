"""Every request handler of every service declares what it does to state (docs/architecture.md, "How
to write a handler"): read-only, exactly-once by request id (`writes=True`), or idempotent with a
reason. A new request handler without a declaration fails here, so none slips through."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from libs.common.service import ServiceApp

ROOT = Path(__file__).resolve().parents[2]
# the requests issue 11 names as writing: they must be claimed by request id, not merely declared
MUST_BE_EXACTLY_ONCE = {"chat.turn", "chat.reset_session", "billing.create_quote", "billing.create_checkout",
                        "billing.create_invoice"}


def _service_modules() -> list[str]:
    """Every module under services/ that builds a ServiceApp (found by its text, then imported)."""
    found = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        if "ServiceApp(" in path.read_text(encoding="utf-8"):
            found.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def _apps() -> list[ServiceApp]:
    apps: dict[int, ServiceApp] = {}
    for name in _service_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, ServiceApp):
                apps[id(value)] = value
    return list(apps.values())


APPS = _apps()
REQUESTS = [(app.name, sub.request_type, sub.effect, sub.reason) for app in APPS for sub in app.requests]


def test_the_services_and_their_requests_are_found() -> None:
    assert {"chat", "rag", "security", "billing"} <= {app.name for app in APPS}
    assert {"chat.turn", "rag.search", "security.screen", "billing.create_quote"} <= {r[1] for r in REQUESTS}


@pytest.mark.parametrize(("service", "request_type", "effect", "reason"), REQUESTS,
                         ids=[f"{r[0]}:{r[1]}" for r in REQUESTS])
def test_every_request_handler_declares_its_effect(service: str, request_type: str, effect: str | None,
                                                   reason: str | None) -> None:
    assert effect in ("read_only", "writes", "idempotent"), (
        f"{service} answers {request_type} without declaring it read_only=True, writes=True or "
        f"idempotent='reason' (docs/architecture.md, How to write a handler)")
    if effect == "idempotent":
        assert reason and len(reason) >= 20, f"{request_type}: say why a repeat is harmless"
    if request_type in MUST_BE_EXACTLY_ONCE:
        assert effect == "writes", f"{request_type} writes: it must be claimed by request id (writes=True)"


def test_declaring_two_effects_is_refused() -> None:
    app = ServiceApp("x")
    with pytest.raises(ValueError, match="declare one of"):
        app.on_request("x.y", read_only=True, writes=True)
