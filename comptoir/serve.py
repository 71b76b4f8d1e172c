"""`comptoir serve <name>`: one service alone (the gateway alone serves HTTP), run by
`libs.common.serving` exactly as `python -m services.<name>` runs it."""

from __future__ import annotations

from comptoir.registry import Progress, load_services
from libs.common.serving import say as _say
from libs.common.serving import serve_http, serve_service
from libs.common.settings import Settings


def say(line: str) -> None:
    _say(line, "comptoir serve")


async def serve_one(settings: Settings, name: str, host: str, port: int, progress: Progress = say) -> int:
    if name == "gateway":
        from services.gateway.app import create_app
        from services.gateway.config import GatewaySettings

        return await serve_http(create_app(settings, GatewaySettings(host=host, port=port)), host, port, progress)
    apps = load_services((name,), progress)
    if not apps:
        return 2
    return await serve_service(settings, apps[0], progress)
