"""Event loop choice for the long-running commands (libs/common/aio.py)."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from libs.common import aio
from libs.common.errors import ConfigurationError


async def _loop_type() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_commands_run_on_uvloop_by_default_and_on_asyncio_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPTOIR_EVENT_LOOP", raising=False)
    assert aio.run(_loop_type()).startswith("uvloop")
    assert aio.loop_factory("uvloop") is uvloop.new_event_loop
    assert aio.run(_loop_type(), "asyncio").startswith("asyncio")
    monkeypatch.setenv("COMPTOIR_EVENT_LOOP", "asyncio")
    assert aio.run(_loop_type()).startswith("asyncio")


def test_an_unknown_loop_name_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPTOIR_EVENT_LOOP", "trio")
    with pytest.raises(ConfigurationError, match="COMPTOIR_EVENT_LOOP must be one of"):
        aio.loop_factory()


def test_a_settled_heap_leaves_the_collector_only_what_came_after() -> None:
    import gc

    try:
        before = len(gc.get_objects())  # everything the collector walks in a full run
        aio.settle_heap()
        after = len(gc.get_objects())
        assert gc.get_freeze_count() > before // 2
        assert after < before // 10
        fresh = [[i] for i in range(1000)]  # containers made later are walked as before
        assert len(gc.get_objects()) >= after + len(fresh)
    finally:
        gc.unfreeze()
