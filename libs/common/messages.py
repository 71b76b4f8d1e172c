"""The event envelope and the one registry of message types.

Every message on the broker is an `Envelope` whose `data` validates against the pydantic model
registered for its `type`. Events are facts in the past tense (`QuoteCreated`, type
`quote.created`); commands and requests are imperatives (`CreateQuote`, `billing.create_quote`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from libs.common.errors import InvalidMessage

MessageT = TypeVar("MessageT", bound="Message")


class Message(BaseModel):
    """Base of every event, command, request and reply body. Frozen; unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1


_REGISTRY: dict[str, type[Message]] = {}


def message_type(name: str, version: int = 1) -> Callable[[type[MessageT]], type[MessageT]]:
    """Register a message model under its routing type, e.g. `@message_type("quote.created")`."""

    def register(cls: type[MessageT]) -> type[MessageT]:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise ValueError(f"message type {name!r} registered twice ({existing.__name__}, {cls.__name__})")
        cls.TYPE = name
        cls.VERSION = version
        _REGISTRY[name] = cls
        return cls

    return register


def registry() -> dict[str, type[Message]]:
    import libs.common.events  # noqa: F401  (registers every schema)

    return dict(_REGISTRY)


def model_for(type_name: str) -> type[Message]:
    model = registry().get(type_name)
    if model is None:
        raise InvalidMessage(f"unknown message type {type_name!r}")
    return model


def _now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=_now)
    source: str
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    session_id: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        message: Message,
        *,
        source: str,
        correlation_id: uuid.UUID | None = None,
        causation: Envelope | None = None,
        session_id: str | None = None,
    ) -> Envelope:
        if not message.TYPE:
            raise ValueError(f"{type(message).__name__} is not registered with @message_type")
        return cls(
            type=message.TYPE,
            version=message.VERSION,
            source=source,
            correlation_id=correlation_id or (causation.correlation_id if causation else None),
            causation_id=causation.id if causation else None,
            session_id=session_id or (causation.session_id if causation else None),
            data=message.model_dump(mode="json"),
        )

    def payload(self) -> Message:
        model = model_for(self.type)
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            raise InvalidMessage(f"invalid {self.type} body: {exc.errors(include_url=False)}") from exc

    @classmethod
    def decode(cls, body: bytes | str) -> Envelope:
        try:
            return cls.model_validate_json(body)
        except ValidationError as exc:
            raise InvalidMessage(f"not a Comptoir envelope: {exc.errors(include_url=False)}") from exc
