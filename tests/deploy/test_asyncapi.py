"""The AsyncAPI document: valid AsyncAPI 3.0 structure (a JSON Schema of the parts we use, written
here: the official schema is not available offline), every `$ref` resolves, and it lists every queue a
service consumes and every event a service publishes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from comptoir.registry import all_service_apps, service_sources
from libs.common.asyncapi import build_document, published_types
from libs.common.broker import Names
from libs.common.messages import registry
from libs.common.settings import Settings

REF = {"type": "object", "required": ["$ref"], "properties": {"$ref": {"type": "string", "pattern": "^#/"}}}
SCHEMA_OBJECT = {"type": "object"}
ASYNCAPI_3 = {
    "type": "object",
    "required": ["asyncapi", "info"],
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "properties": {
        "asyncapi": {"const": "3.0.0"},
        "id": {"type": "string"},
        "defaultContentType": {"type": "string"},
        "info": {"type": "object", "required": ["title", "version"],
                 "properties": {"title": {"type": "string"}, "version": {"type": "string"},
                                "description": {"type": "string"}}},
        "servers": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["host", "protocol"],
            "properties": {"host": {"type": "string"}, "protocol": {"type": "string"},
                           "protocolVersion": {"type": "string"}, "pathname": {"type": "string"}}}},
        "channels": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False,
            "patternProperties": {"^x-": {}},
            "properties": {
                "address": {"type": ["string", "null"]},
                "title": {"type": "string"}, "summary": {"type": "string"}, "description": {"type": "string"},
                "servers": {"type": "array", "items": REF},
                "messages": {"type": "object", "additionalProperties": {"anyOf": [REF, SCHEMA_OBJECT]}},
                "parameters": {"type": "object"},
                "bindings": {"type": "object", "properties": {"amqp": {
                    "type": "object", "properties": {"is": {"enum": ["queue", "routingKey"]}}}}},
            }}},
        "operations": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["action", "channel"], "additionalProperties": False,
            "patternProperties": {"^x-": {}},
            "properties": {
                "action": {"enum": ["send", "receive"]},
                "channel": REF,
                "title": {"type": "string"}, "summary": {"type": "string"}, "description": {"type": "string"},
                "messages": {"type": "array", "items": REF},
                "bindings": {"type": "object"}, "reply": {"type": "object"}, "traits": {"type": "array"},
            }}},
        "components": {"type": "object", "properties": {
            "schemas": {"type": "object", "additionalProperties": {"type": ["object", "boolean"]}},
            "messages": {"type": "object", "additionalProperties": {
                "type": "object", "properties": {"payload": SCHEMA_OBJECT, "name": {"type": "string"},
                                                 "title": {"type": "string"}, "contentType": {"type": "string"}}}},
        }},
    },
}


@pytest.fixture(scope="module")
def document(settings: Settings) -> dict[str, Any]:
    return build_document(all_service_apps(), settings, service_sources())


@pytest.fixture(scope="module")
def published() -> dict[str, list[str]]:
    return published_types(all_service_apps(), service_sources())


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve (at {part})"
        node = node[part]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if isinstance(node.get("$ref"), str) else []) + [
            r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_the_document_has_the_asyncapi_3_structure(document: dict[str, Any]) -> None:
    jsonschema.validate(document, ASYNCAPI_3)
    with pytest.raises(jsonschema.ValidationError):  # the check can fail
        jsonschema.validate({**document, "operations": {"x": {"action": "publish", "channel": {}}}}, ASYNCAPI_3)


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    found = refs(document)
    assert len(found) > 50
    for ref in found:
        resolve(document, ref)


def test_each_operation_names_messages_of_its_own_channel(document: dict[str, Any]) -> None:
    for name, operation in document["operations"].items():
        channel_ref = operation["channel"]["$ref"]
        for message in operation.get("messages", []):
            assert message["$ref"].startswith(f"{channel_ref}/messages/"), name  # AsyncAPI 3.0 rule


def test_every_consumed_queue_has_a_receive_operation(document: dict[str, Any], settings: Settings) -> None:
    names = Names(settings)
    addresses = {resolve(document, op["channel"]["$ref"])["address"]
                 for op in document["operations"].values() if op["action"] == "receive"}
    for app in all_service_apps():
        for sub in app.events:
            assert names.queue(sub.queue) in addresses, f"{app.name} consumes {sub.queue}"
        for req in app.requests:
            assert names.rpc_queue(req.request_type) in addresses, f"{app.name} answers {req.request_type}"


def test_every_published_event_has_a_send_operation(document: dict[str, Any],
                                                    published: dict[str, list[str]]) -> None:
    sent_types = {(name.split(":publish:")[0], type_name)
                  for name, op in document["operations"].items() if op["action"] == "send"
                  for type_name in resolve(document, op["channel"]["$ref"])["messages"]}
    assert {(s, t) for s, types in published.items() for t in types} == sent_types
    # what the code is known to publish (through the outbox) is found
    for service, type_name in (("billing", "quote.created"), ("billing", "payment.completed"),
                               ("rag", "knowledge.document.ingested"), ("chat", "lead.captured"),
                               ("security", "security.incident.recorded"),
                               ("gateway", "billing.stripe_webhook_received")):
        assert type_name in published[service], f"{service} publishes {type_name}"
    # a request is not an event
    assert not any(t == "chat.turn" or t.endswith(".reply") for types in published.values() for t in types)


def test_every_consumed_event_is_published_by_someone(published: dict[str, list[str]]) -> None:
    sent = {t for types in published.values() for t in types}
    consumed = {t for app in all_service_apps() for sub in app.events for t in sub.types}
    assert consumed <= sent, f"consumed, published by no service: {sorted(consumed - sent)}"
    assert set(registry()) >= consumed


def test_the_cli_writes_the_document(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "asyncapi.json"
    result = subprocess.run([sys.executable, "-m", "comptoir", "asyncapi", "--out", str(out)],
                            capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "COMPTOIR_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    jsonschema.validate(written, ASYNCAPI_3)
    assert any(op["action"] == "send" for op in written["operations"].values())
