"""Resilience fixtures: a private RabbitMQ node (never the shared one on 5672) that tests stop and start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.rabbit_node import RabbitNode, rabbitmq_available


@pytest.fixture(scope="package")
def rabbit_node() -> Iterator[RabbitNode]:
    if not rabbitmq_available():
        pytest.fail("rabbitmq-server is not installed (scripts/services.sh installs it)")
    node = RabbitNode("resilience")
    node.start()
    try:
        yield node
    finally:
        node.destroy()
