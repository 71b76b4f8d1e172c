"""AsyncAPI 3.0 document generated from the services' FastStream apps and their sources.

Consumed: FastStream describes channels (queues, bindings) and `receive` operations from each
service's subscribers; our consumers decode the envelope themselves, so the message payloads are
filled in here from the one registry of message types: each channel's message is the `Envelope`
whose `data` is one of the listed types.

Published: each service's source folder (handed over by the composition root; libs never import a
service) is read for the registered message types it constructs; those that are neither a request
nor a request's reply are the events it publishes, each a channel on the events exchange (routing
key = type) with a `send` operation. Requests a service sends are the request queues' channels.
"""

from __future__ import annotations

import ast
import contextlib
import json
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI

from libs.common.messages import Envelope, registry
from libs.common.service import ServiceApp
from libs.common.settings import Settings

# published without the events exchange: sent straight to a queue the requester named
DIRECT_TYPES = {"chat.reply.delta": "the turn's `stream_to` queue (default exchange)"}


def build_document(apps: list[ServiceApp], settings: Settings,
                   sources: Mapping[str, Path] | None = None) -> dict[str, Any]:
    """The document; `sources` (service name → its package folder) adds what each service publishes."""
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
    if sources:
        add_published(document, settings, published_types(apps, sources))
    return document


def request_and_reply_types(apps: list[ServiceApp], folders: list[Path]) -> set[str]:
    """Every request type the apps answer, and every reply type: a request handler's return model,
    or the reply model a caller names (`request("type", body, ReplyModel)`) in the folders' code."""
    by_model = {model: name for name, model in registry().items()}
    by_class = {model.__name__: name for name, model in registry().items()}
    found: set[str] = set()
    for app in apps:
        for req in app.requests:
            found.add(req.request_type)
            with contextlib.suppress(Exception):  # an annotation that does not resolve: callers name it
                reply = typing.get_type_hints(req.handler).get("return")
                if reply in by_model:
                    found.add(by_model[reply])
    for node in _nodes(folders):
        if isinstance(node, ast.Call) and _called(node) == "request" and len(node.args) >= 3:
            reply_arg = node.args[2]
            if isinstance(reply_arg, ast.Name) and reply_arg.id in by_class:
                found.add(by_class[reply_arg.id])
    return found


def _nodes(folders: list[Path]) -> typing.Iterator[ast.AST]:
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            yield from ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def constructed_types(folder: Path) -> set[str]:
    """Registered message types whose model the folder's code builds: `Model(...)`,
    `Model.model_validate(...)`, or a model chosen by `A if … else B` (then called)."""
    by_class = {model.__name__: name for name, model in registry().items()}
    found: set[str] = set()
    for node in _nodes([folder]):
        names: list[str] = []
        if isinstance(node, ast.Call):
            names.append(_called(node))
            if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                    and node.func.attr in ("model_validate", "model_validate_json"):
                names.append(node.func.value.id)
        elif isinstance(node, ast.IfExp):
            names += [branch.id for branch in (node.body, node.orelse) if isinstance(branch, ast.Name)]
        found |= {by_class[name] for name in names if name in by_class}
    return found


def published_types(apps: list[ServiceApp], sources: Mapping[str, Path]) -> dict[str, list[str]]:
    """Service name → the event types it publishes (constructs, and are not requests or replies)."""
    exclude = request_and_reply_types(apps, list(sources.values()))
    return {name: sorted(constructed_types(folder) - exclude) for name, folder in sorted(sources.items())}


def add_published(document: dict[str, Any], settings: Settings, published: Mapping[str, list[str]]) -> None:
    types = registry()
    channels = document.setdefault("channels", {})
    operations = document.setdefault("operations", {})
    messages = document["components"].setdefault("messages", {})
    servers = [{"$ref": f"#/servers/{name}"} for name in document.get("servers", {})]
    publishers: dict[str, list[str]] = {}
    for service, type_names in published.items():
        for type_name in type_names:
            publishers.setdefault(type_name, []).append(service)
    for type_name, services in sorted(publishers.items()):
        key = f"event:{type_name}"
        model = types[type_name]
        messages[key] = {
            "name": type_name, "title": model.__name__, "contentType": "application/json",
            "summary": (model.__doc__ or "").strip().split("\n")[0] or type_name,
            "payload": {"allOf": [{"$ref": "#/components/schemas/Envelope"}],
                        "properties": {"type": {"const": type_name},
                                       "data": {"$ref": f"#/components/schemas/{type_name}"}}},
        }
        direct = DIRECT_TYPES.get(type_name)
        channel: dict[str, Any] = {
            "address": None if direct else type_name,
            "description": f"published by {', '.join(services)}" + (f" to {direct}" if direct else
                                                                     f" on the {settings.events_exchange} exchange"),
            "servers": servers,
            "messages": {type_name: {"$ref": f"#/components/messages/{key}"}},
        }
        if not direct:
            channel["bindings"] = {"amqp": {"is": "routingKey", "bindingVersion": "0.3.0", "exchange": {
                "name": settings.events_exchange, "type": "topic", "durable": True, "autoDelete": False,
                "vhost": "/"}}}
        channels[key] = channel
        for service in services:
            operations[f"{service}:publish:{type_name}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": f"{service} publishes {type_name}",
                "messages": [{"$ref": f"#/channels/{key}/messages/{type_name}"}],
            }


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
