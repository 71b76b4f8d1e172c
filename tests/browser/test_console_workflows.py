"""The console's workflows and social queue pages in Debian's Chromium, against the real workflows service
(engine, social queue and publisher) and the gateway on a database and broker names of their own, with
the fake Graph API: the seeded workflows are listed and one is turned on and off; « Lancer maintenant »
runs a workflow whose step queues a Facebook post, and its run page shows the step and the post id; a
failing workflow's run shows each retry with its error; the social queue previews a stored image,
approves a post (published once on the fake Graph API) and rejects another with its reason; a post
decided twice is a clear 409; axe-core finds no serious or critical violation on any of these pages."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr

from libs.common.db import create_pool
from libs.common.events.social import EnqueueSocialPost, SocialPostReply
from libs.common.events.workflows import CreateWorkflow, WorkflowDefinition, WorkflowReply
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from libs.mail import MailSettings
from libs.storage import open_storage
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.gateway.console import users
from services.workflows.graph import GraphSettings
from tests.browser.console_stack import owner_page, served
from tests.browser.test_console import axe, shoot
from tests.browser.test_widget import CHROMIUM, free_port
from tests.conftest import RUN_ID, DatabaseFactory, delete_broker_names, eventually, make_settings
from tests.fakes.graph_server import FakeGraphServer
from tests.workflows.conftest import wf_config

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian chromium is not installed")]
OWNER = "owner@maison-lumiere.example"
PASSWORD = "lumiere-console-2026"


def jpeg() -> bytes:
    """A real 320×200 JPEG (a gradient), so the preview shows an image."""
    from PIL import Image

    picture = Image.new("RGB", (320, 200))
    picture.putdata([(x * 255 // 320, 90, y * 255 // 200) for y in range(200) for x in range(320)])
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass
class Stack:
    base: str
    pool: asyncpg.Pool
    rpc: RpcClient
    graph: FakeGraphServer


@pytest.fixture(scope="module")
async def stack(db_factory: DatabaseFactory, amqp_url: str, data_dir: Path) -> AsyncIterator[Stack]:
    from services.security.app import build_deps as security_deps
    from services.security.app import svc as security_svc
    from services.security.config import SecuritySettings
    from services.workflows.app import svc as workflows_svc

    dsn = await db_factory.create_migrated("consolewf")
    prefix = f"t{RUN_ID}cwf{uuid.uuid4().hex[:4]}."
    settings: Settings = make_settings(dsn, amqp_url, data_dir, prefix)
    pool = await create_pool(settings, min_size=1, max_size=20)
    await users.create_user(pool, OWNER, "owner", "Claire", PASSWORD)
    port = free_port()
    try:
        async with contextlib.AsyncExitStack() as stack, FakeGraphServer() as graph:
            social = GraphSettings(graph_base_url=graph.base_url, page_id=graph.page_id,
                                   instagram_user_id=graph.ig_user_id, page_access_token=SecretStr(graph.token),
                                   retry_base_ms=5, poll_interval_s=0.3)
            deps = {"workflows_settings": wf_config(), "mail_settings": MailSettings(_env_file=None, host=None),
                    "scheduler": False, "social_settings": social}
            await stack.enter_async_context(security_svc.running(settings, pool,
                                                                 {"security": security_deps(SecuritySettings())}))
            await stack.enter_async_context(workflows_svc.running(settings, pool, deps=deps))
            app = create_app(settings, GatewaySettings(admin_token="workflows-console-token-0123456789"), pool=pool)
            base = await stack.enter_async_context(served(app, port))
            rpc = await stack.enter_async_context(RpcClient(settings, source="test"))
            yield Stack(base, pool, rpc, graph)
    finally:
        await pool.close()
        await delete_broker_names(amqp_url, prefix)
        await db_factory.drop(dsn)


@pytest.fixture(scope="module")
async def owner(stack: Stack) -> AsyncIterator[Any]:
    """One logged-in owner page for the module (the browser is closed before the servers stop)."""
    async with owner_page(stack.base, OWNER, PASSWORD) as page:
        yield page


async def no_violations(page: Any, name: str) -> None:
    violations = await axe(page)
    assert violations == [], (name, violations)


async def create(stack: Stack, **fields: Any) -> WorkflowReply:
    body = CreateWorkflow(workflow=WorkflowDefinition.model_validate(fields))
    reply: WorkflowReply = await stack.rpc.request("workflows.create", body, WorkflowReply, request_id=uuid.uuid4())
    return reply


async def wait_for_run(page: Any, status: str, timeout_s: float = 15.0) -> None:
    """Reload until the run's own status (the heading's pill) is `status` (the run pages are not live)."""
    async def shown() -> bool | None:
        await page.reload()
        return True if (await page.locator("h1 .pill").inner_text()).strip() == status else None
    await eventually(shown, timeout=timeout_s)


async def test_the_list_toggles_a_seeded_workflow(owner: Any, stack: Stack) -> None:
    page = owner
    await page.goto(f"{stack.base}/admin/workflows")
    assert await page.locator("header nav a[aria-current='page']").inner_text() == "Automatisations"
    await no_violations(page, "workflows list")
    weekly = page.locator("tr[data-workflow='weekly-social-post']")
    await weekly.get_by_text("Désactivée").wait_for()
    assert await page.locator("tr[data-workflow='maintenance-chat']").get_by_text("Activée").count() == 1
    await weekly.get_by_role("button", name="Activer weekly-social-post").click()
    await page.get_by_role("status").filter(has_text="Automatisation activée.").wait_for()
    assert await page.locator("tr[data-workflow='weekly-social-post']").get_by_text("Activée").count() == 1
    enabled = await stack.pool.fetchval("SELECT enabled FROM app_workflows WHERE name = 'weekly-social-post'")
    assert enabled is True
    await page.locator("tr[data-workflow='weekly-social-post']").get_by_role(
        "button", name="Désactiver weekly-social-post").click()
    await page.get_by_role("status").filter(has_text="Automatisation désactivée.").wait_for()
    await shoot(page, "workflows")


async def test_run_now_queues_a_post_and_the_run_shows_its_step(owner: Any, stack: Stack) -> None:
    page = owner
    name = f"promo-{uuid.uuid4().hex[:6]}"
    text = f"Promotion d'hiver {uuid.uuid4().hex[:6]}"
    await create(stack, name=name, description="Annonce la promotion", enabled=False,
                 steps=[{"type": "publish_facebook", "id": "post", "config": {"content": text}}])
    await page.goto(f"{stack.base}/admin/workflows/w/{name}")
    await no_violations(page, "workflow detail")
    await page.get_by_role("button", name=f"Lancer maintenant {name}").click()
    await page.wait_for_url("**/admin/workflows/runs/*")
    await page.get_by_role("status").filter(has_text="Exécution lancée.").wait_for()
    await wait_for_run(page, "Terminée")
    await page.get_by_text("publish_facebook").first.wait_for()
    provider = (await page.locator("tr[data-attempt='1'] code").first.inner_text()).strip()
    row = await stack.pool.fetchrow("SELECT id, status, source_kind FROM app_social_publication_queue "
                                    "WHERE content = $1", text)
    assert row is not None and str(row["id"]) == provider
    assert row["status"] == "pending" and row["source_kind"] == "workflow"  # waits for the owner
    await no_violations(page, "workflow run")


async def test_a_failing_run_shows_each_retry_and_its_error(owner: Any, stack: Stack) -> None:
    page = owner
    name = f"relance-{uuid.uuid4().hex[:6]}"
    # billing does not run here: every attempt fails, and the run fails after the retries
    await create(stack, name=name, enabled=False, steps=[
        {"type": "get_quote", "config": {"quote_id": "q-absent"}, "retry": {"max": 2, "base_delay_ms": 10},
         "timeout_ms": 2000}])
    await page.goto(f"{stack.base}/admin/workflows/w/{name}")
    await page.get_by_role("button", name=f"Lancer maintenant {name}").click()
    await page.wait_for_url("**/admin/workflows/runs/*")
    await wait_for_run(page, "Échouée", timeout_s=30)
    assert await page.locator("tr[data-attempt]").count() == 3
    assert await page.get_by_role("alert").filter(has_text="get_quote").count() == 1
    assert await page.locator("tr[data-attempt='3']").get_by_text("billing.get_quote").count() == 1
    await no_violations(page, "failed run")
    await shoot(page, "workflow-run")
    await page.get_by_role("link", name="Exécutions", exact=True).click()
    await page.locator(f"a[href='/admin/workflows/w/{name}']").first.wait_for()
    await no_violations(page, "runs list")


async def test_the_social_queue_previews_approves_and_rejects(owner: Any, stack: Stack) -> None:
    page = owner
    storage = open_storage(stack.pool, "workflows")
    key = f"social/{uuid.uuid4().hex}.jpg"
    await storage.put(key, jpeg(), "image/jpeg")
    keep = f"Nouvelle collection {uuid.uuid4().hex[:6]}"
    drop = f"Brouillon à revoir {uuid.uuid4().hex[:6]}"
    posts = {}
    for text, media in ((keep, f"files:{key}"), (drop, None)):
        reply = await stack.rpc.request("social.enqueue", EnqueueSocialPost(
            platforms=["facebook"], content=text, media_url=media, source_kind="agent", source_id="call-7"),
            SocialPostReply, request_id=uuid.uuid4())
        posts[text] = reply.post.id
    await page.goto(f"{stack.base}/admin/workflows")
    await page.get_by_role("link", name="Publications").first.click()
    await page.wait_for_url("**/admin/social")
    card = page.locator(f"section[data-post='{posts[keep]}']")
    assert await page.get_by_text("Validation requise").count() == 1  # socialApprovalRequired (the seed: on)
    await card.get_by_text(keep).wait_for()
    image = card.get_by_role("img", name="Image jointe")
    assert await image.get_attribute("src") == f"/v1/files/{key}"
    await page.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=await image.element_handle())
    await no_violations(page, "social queue")
    await shoot(page, "social")

    await card.get_by_role("button", name=f"Approuver et publier {posts[keep][:8]}").click()
    await page.get_by_role("status").filter(has_text="Publication approuvée").wait_for()
    await eventually(lambda: _published(stack, keep))
    other = page.locator(f"section[data-post='{posts[drop]}']")
    await other.get_by_label("Raison du refus").fill("Photo manquante")
    await other.get_by_role("button", name=f"Refuser {posts[drop][:8]}").click()
    await page.get_by_role("status").filter(has_text="Publication refusée.").wait_for()
    await page.get_by_label("Statut").select_option("rejected")
    await page.get_by_role("button", name="Filtrer").click()
    await page.locator(f"section[data-post='{posts[drop]}']").get_by_text("Photo manquante").wait_for()
    await page.get_by_label("Statut").select_option("published")
    await page.get_by_role("button", name="Filtrer").click()
    published = page.locator(f"section[data-post='{posts[keep]}']")
    await published.get_by_text("Publiée", exact=True).first.wait_for()
    assert await published.locator("code").count() >= 1  # the Graph post id
    await no_violations(page, "social published")

    # a stale form (the post was decided meanwhile) says so, and nothing is sent twice
    csrf = await page.evaluate("document.body.dataset.csrf")
    answer = await page.request.post(f"{stack.base}/admin/social/{posts[keep]}/approve",
                                     form={"csrf": csrf, "request_id": str(uuid.uuid4())})
    assert answer.status == 409 and "déjà été décidée" in await answer.text()
    assert len([p for p in stack.graph.posts() if p.fields.get("message") == keep]) == 1


async def _published(stack: Stack, text: str) -> bool | None:
    status = await stack.pool.fetchval("SELECT status FROM app_social_publication_queue WHERE content = $1", text)
    return True if status == "published" else None


async def test_the_owner_changes_a_maintenance_workflows_schedule_and_retention(owner: Any, stack: Stack) -> None:
    page = owner
    await page.goto(f"{stack.base}/admin/workflows/w/maintenance-chat")
    await no_violations(page, "workflow edit form")
    await page.get_by_label("Planification").fill("61 3 * * *")  # refused by the service, with its reason
    await page.get_by_role("button", name="Enregistrer les modifications").click()
    await page.get_by_role("alert").filter(has_text="Refusé").wait_for()
    assert await page.get_by_label("Planification").input_value() == "61 3 * * *"  # kept for correction
    await no_violations(page, "workflow edit refused")
    steps = json.loads(await page.get_by_label("Étapes (JSON)").input_value())
    steps[0]["config"]["retention_days"] = {"chat_sessions": 30}
    await page.get_by_label("Planification").fill("45 4 * * *")
    await page.get_by_label("Étapes (JSON)").fill(json.dumps(steps))
    await page.get_by_role("button", name="Enregistrer les modifications").click()
    await page.get_by_role("status").filter(has_text="Automatisation enregistrée.").wait_for()
    row = await stack.pool.fetchrow("SELECT trigger_cron, steps FROM app_workflows WHERE name = 'maintenance-chat'")
    assert row is not None and row["trigger_cron"] == "45 4 * * *"
    assert row["steps"][0]["config"]["retention_days"] == {"chat_sessions": 30}
    await page.get_by_label("Étapes (JSON)").fill("[{")
    await page.get_by_role("button", name="Enregistrer les modifications").click()
    await page.get_by_role("alert").filter(has_text="not JSON").wait_for()
