"""Warn+ log events of a service reach app_admin_logs through the outbox and the security sink."""

from __future__ import annotations

import uuid

import asyncpg

from libs.common.logging import get_logger
from libs.common.service import HandlerContext, ServiceApp
from services.security.logsink import AdminLogForwarder, flush, install_admin_log_forwarder
from tests.conftest import eventually


async def test_warnings_are_forwarded_and_infos_are_not(security: HandlerContext, sec_pool: asyncpg.Pool) -> None:
    session = f"sess-{uuid.uuid4()}"
    forwarder = AdminLogForwarder("chat")
    forwarder.install()
    try:
        log = get_logger("tests.logsink")
        log.info("just_info", session_id=session)
        log.warning("llm_slow", session_id=session, latency_ms=4200, api_key="sk-should-not-leak",
                    url="postgresql://u:hunter2pass@db/x")
        log.error("llm_failed", session_id=session, admin_log=False)  # opted out
    finally:
        forwarder.uninstall()
    assert [r.message for r in forwarder.buffer] == ["llm_slow"]
    assert await flush(forwarder, security) == 1 and not forwarder.buffer
    row = await eventually(lambda: sec_pool.fetchrow("SELECT * FROM app_admin_logs WHERE session_id = $1",
                                                     session))
    assert (row["level"], row["category"], row["message"]) == ("warn", "chat", "llm_slow")
    assert row["metadata"]["latency_ms"] == "4200" and row["metadata"]["service"] == "chat"
    assert "sk-should-not-leak" not in str(row["metadata"]) and "hunter2" not in str(row["metadata"])


def test_buffer_is_bounded_and_never_raises() -> None:
    forwarder = AdminLogForwarder("rag", capacity=3)
    for n in range(5):
        forwarder(None, "warning", {"event": f"e{n}", "weird": object()})
    assert [r.message for r in forwarder.buffer] == ["e2", "e3", "e4"] and forwarder.dropped == 2
    assert forwarder.buffer[0].category == "memory"


def test_install_registers_start_flush_and_stop_hooks() -> None:
    app = ServiceApp("agents")
    forwarder = install_admin_log_forwarder(app, interval_s=0.5)
    assert forwarder.service == "agents"
    assert len(app.startup) == 1 and len(app.shutdown) == 1 and app.periodic_jobs[0].interval_s == 0.5
