"""Typed errors shared across services; each carries a message fit for an operator or a client."""


class ComptoirError(Exception):
    """Base class: the message is safe to show (never contains secrets)."""


class UsageError(ComptoirError):
    """Bad input to a command (an unknown name, a value out of range): the CLI exits with code 2."""


class ConfigurationError(ComptoirError):
    """Settings are missing or wrong, or a dependency (DB, broker) cannot be reached."""


class InvalidMessage(ComptoirError):
    """A message body that cannot be decoded or validated: parked, never retried."""


class RequestTimeout(ComptoirError):
    """A request/reply call got no answer in time."""


class RemoteError(ComptoirError):
    """A request/reply handler answered with an error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# The error code of a writing request whose first run is still going (libs/common/service.py): retry later.
REQUEST_IN_PROGRESS = "in_progress"


class BrokerUnavailable(RemoteError):
    """The broker connection is down or being restored: the request was not (or not surely) delivered.

    Raised at once, never after a timeout: callers answer 503 with Retry-After and may retry.
    """

    def __init__(self, message: str) -> None:
        super().__init__("broker_unavailable", message)


# The error code of a request whose handler lost the database (connection refused, server shutting down
# or starting, connection dropped): nothing was stored, the caller may retry (HTTP 503).
DATABASE_UNAVAILABLE = "database_unavailable"
