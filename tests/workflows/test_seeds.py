"""Seeded workflows: enabled with SMTP until the owner decides, never seeded twice."""

from __future__ import annotations

import datetime as dt

import asyncpg

from libs.mail import MailSettings
from services.workflows import repo, seeds
from tests.workflows.conftest import WfFactory, unique


async def _enabled(pool: asyncpg.Pool, name: str) -> bool | None:
    value: bool | None = await pool.fetchval("SELECT enabled FROM app_workflows WHERE name = $1", name)
    return value


async def test_a_smtp_seed_follows_smtp_until_the_owner_changes_it(make_wf: WfFactory, wf_pool: asyncpg.Pool) -> None:
    name = unique("seed")
    item = seeds.Seed(unique("key"), {"name": name, "trigger_event": "chat.handoff.requested",
                                      "steps": [{"type": "log", "config": {"message": "x"}}]}, enabled_with_smtp=True)
    without = make_wf()
    with_smtp = make_wf(mail=MailSettings(_env_file=None, host="smtp.boutique.test", from_="b@boutique.test"))
    async with wf_pool.acquire() as conn:
        assert await seeds.seed(conn, without, [item]) == [name]
        assert await _enabled(wf_pool, name) is False
        assert await seeds.seed(conn, with_smtp, [item]) == []  # not seeded again, but switched on
        assert await _enabled(wf_pool, name) is True
        await conn.fetchrow(repo.SET_ENABLED, name, False, dt.datetime.now(dt.UTC))  # the owner's choice
        await seeds.seed(conn, with_smtp, [item])
        assert await _enabled(wf_pool, name) is False
        await conn.execute(repo.DELETE_WORKFLOW, name)
        assert await seeds.seed(conn, with_smtp, [item]) == []
    assert await _enabled(wf_pool, name) is None


async def test_the_example_seeds_are_valid_workflows(make_wf: WfFactory) -> None:
    from libs.common.events.workflows import WorkflowDefinition
    from services.workflows.validate import check_definition

    wf = make_wf()
    for item in seeds.SEEDS:
        check_definition(WorkflowDefinition.model_validate(item.definition), wf.registry, wf.env)
