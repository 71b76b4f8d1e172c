"""`python -m services.gateway`: the HTTP gateway alone on GATEWAY_HOST:GATEWAY_PORT, exactly as
`comptoir serve gateway` runs it."""

import sys

from libs.common.cli import main
from services.gateway.config import GatewaySettings

if __name__ == "__main__":
    config = GatewaySettings()
    sys.exit(main(["serve", "gateway", "--host", config.host, "--port", str(config.port)]))
