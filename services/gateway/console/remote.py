"""How a console page asks a backend service: its domain errors come back as they are (the page
shows them as a message with the reason), anything else — a timeout, a service failing or absent —
is `ServiceDown`, which the page shows as « service unavailable » rather than a 5xx."""

from __future__ import annotations

import uuid
from typing import Any

from libs.common.errors import RemoteError, RequestTimeout
from libs.common.logging import get_logger
from libs.common.messages import Message
from services.gateway.deps import Gateway
from services.gateway.errors import DOMAIN_STATUS

log = get_logger("gateway.console")
# the errors a page shows with their reason: the services' domain errors, and a request they refused
PAGE_ERRORS: dict[str, int] = {**DOMAIN_STATUS, "bad_request": 422}


class ServiceDown(Exception):
    """The service did not answer in time, or failed otherwise than with one of PAGE_ERRORS."""


async def ask(gw: Gateway, service: str, request_type: str, body: Message, reply: type[Any], *,
              timeout: float | None = None, request_id: uuid.UUID | None = None) -> Any:
    try:
        return await gw.rpc.request(request_type, body, reply, timeout=timeout, request_id=request_id)
    except RequestTimeout as exc:
        log.warning("console_request_timeout", service=service, request=request_type)
        raise ServiceDown() from exc
    except RemoteError as exc:
        if exc.code in PAGE_ERRORS:
            raise
        log.warning("console_request_failed", service=service, request=request_type, code=exc.code,
                    error=exc.message)
        raise ServiceDown() from exc
