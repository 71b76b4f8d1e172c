"""`python -m services.gateway`: the HTTP gateway alone (GATEWAY_HOST / GATEWAY_PORT)."""

import asyncio
import sys

from libs.common.logging import configure_logging
from libs.common.settings import get_settings
from services.gateway.config import GatewaySettings
from services.gateway.runner import serve_one

if __name__ == "__main__":
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    config = GatewaySettings()
    sys.exit(asyncio.run(serve_one(settings, "gateway", config.host, config.port)))
