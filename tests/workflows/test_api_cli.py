"""`/v1/admin/workflows/…` and `comptoir workflows …` in front of the running workflows service:
the contract's error codes as HTTP statuses and exit codes, a run started and listed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from libs.common.settings import Settings
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.workflows.app import svc
from tests.cli_in_process import Done, cli_runner
from tests.conftest import eventually, with_fresh_prefix
from tests.workflows.conftest import unique, wf_config

TOKEN = "workflows-admin-token-0123456789"
AUTH = {"authorization": f"Bearer {TOKEN}"}
LOG_STEP = {"type": "log", "config": {"message": "commande {{ event.order }}"}}


@pytest.fixture(scope="module")
async def running(wf_settings: Settings, wf_pool: asyncpg.Pool) -> AsyncIterator[Settings]:
    settings = with_fresh_prefix(wf_settings)
    deps = {"workflows_settings": wf_config(), "scheduler": False, "seed": False}
    async with svc.running(settings, wf_pool, deps=deps):
        yield settings


@pytest.fixture
async def http(running: Settings, wf_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(running, GatewaySettings(_env_file=None, admin_token=TOKEN), pool=wf_pool, run_relay=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test", headers=AUTH) as client:
            yield client


async def test_create_conflict_invalid_and_not_found_over_http(http: httpx.AsyncClient) -> None:
    name = unique("api")
    made = await http.post("/v1/admin/workflows", json={"name": name, "trigger_cron": "0 9 * * 1", "steps": [LOG_STEP]})
    assert made.status_code == 201 and made.json()["workflow"]["next_run_at"], made.text
    again = await http.post("/v1/admin/workflows", json={"name": name, "steps": [LOG_STEP]})
    assert again.status_code == 409 and again.json()["error"] == "name_conflict"
    bad = await http.post("/v1/admin/workflows", json={"name": unique("api"), "steps": [{"type": "teleport"}]})
    assert bad.status_code == 422 and "teleport" in bad.json()["detail"]
    missing = await http.get("/v1/admin/workflows/no-such-workflow")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert (await http.get("/v1/admin/workflows", headers={"authorization": ""})).status_code == 401
    for run_id in ("not-a-uuid", "3f1c5a52-8d59-4c6e-9a43-0f6a3e0c2b11"):
        unknown = await http.get(f"/v1/admin/workflows/runs/{run_id}")
        assert unknown.status_code == 404 and unknown.json()["error"] == "not_found", unknown.text
    assert (await http.post("/v1/admin/workflows/no-such-workflow/enable")).status_code == 404


async def test_disable_run_and_read_the_run_over_http(http: httpx.AsyncClient) -> None:
    name = unique("api")
    assert (await http.post("/v1/admin/workflows", json={"name": name, "steps": [LOG_STEP]})).status_code == 201
    off = await http.post(f"/v1/admin/workflows/{name}/disable")
    assert off.status_code == 200 and off.json()["workflow"]["enabled"] is False
    queued = await http.post(f"/v1/admin/workflows/{name}/run", json={"event": {"order": "A-1"}})
    assert queued.status_code == 202, queued.text
    run_id = queued.json()["run"]["id"]

    async def done() -> dict[str, Any] | None:
        run = (await http.get(f"/v1/admin/workflows/runs/{run_id}")).json()["run"]
        return run if run["status"] == "completed" else None
    run = await eventually(done)
    assert run["steps"][0]["output"] == {"message": "commande A-1"}
    listed = (await http.get("/v1/admin/workflows/runs", params={"name": name})).json()["runs"]
    assert [r["id"] for r in listed] == [run_id]


@pytest.fixture
def comptoir(running: Settings, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., Awaitable[Done]]]:
    """`comptoir workflows …` in this process (a thread: the command runs its own event loop)."""
    yield from cli_runner(running, "workflows", monkeypatch, capsys)


async def test_the_cli_creates_runs_and_lists(comptoir: Callable[..., Awaitable[Done]], tmp_path: Path) -> None:
    name = unique("cli")
    spec = tmp_path / "wf.json"
    spec.write_text(json.dumps({"name": name, "enabled": False, "steps": [LOG_STEP]}))
    created = await comptoir("create", "--file", str(spec))
    assert created.returncode == 0 and f"created {name}" in created.stdout, created.stderr
    assert (await comptoir("enable", name)).returncode == 0
    shown = json.loads((await comptoir("show", name, "--json")).stdout)
    assert shown["workflow"]["enabled"] is True
    started = await comptoir("run", name, "--event", '{"order": "C-3"}', "--json")
    run_id = json.loads(started.stdout)["run"]["id"]

    async def listed() -> list[dict[str, object]] | None:
        runs = json.loads((await comptoir("runs", name, "--json")).stdout)["runs"]
        return runs if runs and runs[0]["status"] == "completed" else None
    runs = await eventually(listed)
    assert runs[0]["id"] == run_id
    assert name in (await comptoir("list")).stdout


@pytest.mark.parametrize(("content", "reason"), [
    ('{"name": "NAME", "trigger_cron": "99 * * * *", "steps": [{"type": "log", "config": {"message": "x"}}]}',
     "not a valid expression"),
    ('{"name": "NAME", "steps": [{"type": "teleport"}]}', "unknown step type"),
    ('{"name": "NAME", "steps": [{"type": "log", "config": {"message": "{{ oops"}}]}', "does not compile"),
    ('{"name": "NAME", "steps": [{"type": "upload_drive", "config": {"file_key": "k", "token_secret": "gone"}}]}',
     "secret 'gone' is not set"),
    ("not json", "is not JSON"),
])
async def test_bad_files_exit_2_with_the_reason(comptoir: Callable[..., Awaitable[Done]], tmp_path: Path,
                                                content: str, reason: str) -> None:
    spec = tmp_path / "wf.json"
    spec.write_text(content.replace("NAME", unique("bad")))
    done = await comptoir("create", "--file", str(spec))
    assert done.returncode == 2 and reason in done.stderr, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr


async def test_a_name_taken_exits_2(comptoir: Callable[..., Awaitable[Done]], tmp_path: Path) -> None:
    name = unique("twice")
    spec = tmp_path / "wf.json"
    spec.write_text(json.dumps({"name": name, "steps": [LOG_STEP]}))
    assert (await comptoir("create", "--file", str(spec))).returncode == 0
    again = await comptoir("create", "--file", str(spec))
    assert again.returncode == 2 and "name_conflict" in again.stderr
    assert (await comptoir("show", "no-such-name")).returncode == 2
