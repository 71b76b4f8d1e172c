"""AsyncAPI 3.0 document generated from the services' FastStream apps.

FastStream describes channels (queues, bindings) from each service's subscribers; our consumers
decode the envelope themselves, so the message payloads are filled in here from the one registry of
message types: each channel's message is the `Envelope` whose `data` is one of the listed types.
"""

from __future__ import annotations

import json
from typing import Any

from faststream.specification import AsyncAPI

from libs.common.messages import Envelope, registry
from libs.common.service import ServiceApp
from libs.common.settings import Settings


def build_document(apps: list[ServiceApp], settings: Settings) -> dict[str, Any]:
    brokers = [app.build_broker(settings) for app in apps]
    spec = AsyncAPI(*brokers, title="Comptoir", version="0.1.0",
                    description="Events (topic exchange) and requests (request/reply) of Comptoir.")
    document: dict[str, Any] = json.loads(spec.to_specification().to_json())
    types = registry()
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Envelope"] = Envelope.model_json_schema(ref_template="#/components/schemas/{model}")
    for type_name, model in sorted(types.items()):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for sub_name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(sub_name, sub)
        schemas[type_name] = schema
    consumed = _consumed_types(apps, settings)
    for key, message in document["components"].get("messages", {}).items():
        channel = key.split(":", 1)[0]
        data_types = consumed.get(channel, [])
        message["payload"] = {
            "allOf": [{"$ref": "#/components/schemas/Envelope"}],
            "properties": {
                "type": {"enum": data_types},
                "data": {"oneOf": [{"$ref": f"#/components/schemas/{t}"} for t in data_types if t in types]},
            },
        }
    return document


def _consumed_types(apps: list[ServiceApp], settings: Settings) -> dict[str, list[str]]:
    from libs.common.broker import Names

    names = Names(settings)
    consumed: dict[str, list[str]] = {}
    for app in apps:
        for sub in app.events:
            consumed[names.queue(sub.queue)] = list(sub.types)
        for req in app.requests:
            consumed[names.rpc_queue(req.request_type)] = [req.request_type]
    return consumed
