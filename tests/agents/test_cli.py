"""`comptoir agents …` against the running agents service: JSON output, and bad input exits 2 with the
reason (no traceback)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator

import pytest

from tests.agents.conftest import Agents, add_lead, call, text
from tests.cli_in_process import Done, cli_runner


@pytest.fixture
def comptoir(agents: Agents, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., Awaitable[Done]]]:
    """`comptoir agents …` in this process (a thread: the command runs its own event loop), with the
    settings of the test's agents service."""
    yield from cli_runner(agents.settings, "agents", monkeypatch, capsys)


async def test_bad_input_exits_2_with_the_reason(comptoir: Callable[..., Awaitable[Done]]) -> None:
    for argv, reason in ((["objective", "create", "--agent", "sales_agent", "--title", "x", "--max-steps", "-1"],
                          "invalid_budget"),
                         (["objective", "create", "--agent", "ghost_agent", "--title", "x"], "unknown_agent"),
                         (["objective", "create", "--agent", "content_agent", "--title", "x", "--tools",
                           "create_quote"], "unknown_tool"),
                         (["approve", str(uuid.uuid4())], "not_found"),
                         (["approve", str(uuid.uuid4()), "--args", "[1, 2"], "--args is not JSON")):
        done = await comptoir(*argv)
        assert done.returncode == 2, (argv, done.stdout, done.stderr)
        assert reason in done.stderr and "Traceback" not in done.stderr


async def test_an_owner_runs_an_objective_from_the_shell(agents: Agents,
                                                         comptoir: Callable[..., Awaitable[Done]]) -> None:
    email = f"lea-{uuid.uuid4().hex[:6]}@client.test"
    await add_lead(agents.pool, email)
    agents.script.add("relance cli", call("send_email", to=email, subject="Relance", body="Bonjour !"),
                      text("Relance faite."))
    created = await comptoir("objective", "create", "--agent", "sales_agent", "--title",
                              "Objectif relance cli", "--tools", "send_email", "--risk", "high", "--max-steps", "4",
                              "--start", "--json")
    assert created.returncode == 0, created.stderr
    run_id = json.loads(created.stdout)["run"]["id"]
    await agents.wait_status(run_id, "paused")
    pending = json.loads((await comptoir("approvals", "--json")).stdout)["items"]
    approval = next(a for a in pending if a["run_id"] == run_id)
    approved = await comptoir("approve", approval["id"], "--args",
                               json.dumps({"to": email, "subject": "Relance revue", "body": "Bonjour Léa !"}))
    assert approved.returncode == 0 and "approved" in approved.stdout
    await agents.wait_status(run_id)
    shown = json.loads((await comptoir("show", run_id, "--json")).stdout)
    assert shown["run"]["status"] == "completed" and [m["Subject"] for m in agents.smtp.messages] == ["Relance revue"]
    again = await comptoir("reject", approval["id"], "--reason", "trop tard")
    assert again.returncode == 1 and "approval_closed" in again.stderr
