"""`python -m services.chat`: run the chat service until interrupted."""

import asyncio

from libs.common.logging import configure_logging
from libs.common.settings import get_settings
from services.chat.app import svc

if __name__ == "__main__":
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    asyncio.run(svc.run(settings))
