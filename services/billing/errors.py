"""Billing's typed errors: each maps to a request error code, a CLI message or a recorded reason."""

from __future__ import annotations

from libs.common.errors import ComptoirError


class QuoteError(ComptoirError):
    """A request that cannot become a quote, or a quote in the wrong state for the operation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PaymentProviderError(ComptoirError):
    """Stripe or Wix refused or could not be reached; `code` is `rejected` or `unavailable`."""

    def __init__(self, provider: str, code: str, message: str, *, maybe_done: bool = False) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.code = code
        self.message = message
        # the request was sent and no answer came back: the provider may have acted on it
        self.maybe_done = maybe_done
