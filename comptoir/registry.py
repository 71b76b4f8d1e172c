"""Which services exist and how to load them: the one list `up`, `serve`, the CLI and the AsyncAPI
document use. Each service is a `ServiceApp` named `svc` in `services.<name>.app`."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path

from libs.common.service import ServiceApp

# start-up order of `comptoir up` (the gateway, the HTTP edge, starts last)
SERVICE_NAMES = ("security", "rag", "chat", "billing", "agents", "workflows")
SERVABLE = ("gateway", *SERVICE_NAMES)
# modules that may define `register(subparsers)` for their own commands; imported when the parser is built
SERVICE_CLI_MODULES = (*(f"services.{name}.cli" for name in ("gateway", "chat", "rag", "security", "billing",
                                                               "agents", "workflows")),
                       "services.workflows.social_cli", "services.workflows.maintenance_cli")

Progress = Callable[[str], None]


def _quiet(line: str) -> None:
    pass


def load_services(names: tuple[str, ...] = SERVICE_NAMES, progress: Progress = _quiet) -> list[ServiceApp]:
    """The `ServiceApp` of each named service that is built; a warning through `progress` for the others."""
    found: list[ServiceApp] = []
    for name in names:
        module_name = f"services.{name}.app"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name not in (module_name, f"services.{name}"):
                raise
            progress(f"warning: service {name} is not built yet (no {module_name}); skipped")
            continue
        svc = getattr(module, "svc", None)
        if not isinstance(svc, ServiceApp):
            progress(f"warning: {module_name} has no ServiceApp `svc`; skipped")
            continue
        found.append(svc)
    return found


def all_service_apps() -> list[ServiceApp]:
    """Every built service's app, the gateway's included (for the AsyncAPI document)."""
    return load_services(("gateway", *SERVICE_NAMES))


def service_sources() -> dict[str, Path]:
    """Each built service's package folder (read by the AsyncAPI document for the events it publishes)."""
    found: dict[str, Path] = {}
    for name in SERVABLE:
        spec = importlib.util.find_spec(f"services.{name}.app")
        if spec is not None and spec.origin:
            found[name] = Path(spec.origin).parent
    return found
