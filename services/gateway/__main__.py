"""`python -m services.gateway`: the HTTP gateway alone on GATEWAY_HOST:GATEWAY_PORT, exactly as
`comptoir serve gateway` runs it (libs.common.serving)."""

import sys
from collections.abc import Awaitable

from libs.common.serving import run_command, say, serve_http
from libs.common.settings import get_settings
from services.gateway.config import GatewaySettings


def _serve() -> Awaitable[int]:
    from services.gateway.app import create_app

    config = GatewaySettings()
    return serve_http(create_app(get_settings(), config), config.host, config.port, say)


if __name__ == "__main__":
    sys.exit(run_command(_serve))
