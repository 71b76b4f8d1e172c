"""Migrations 001–030 on a real Postgres: runner guarantees, the spec's objects, 026 data merge, RLS."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from asyncpg.pool import PoolConnectionProxy

from libs.common.migrate import MIGRATIONS_DIR, MigrationError, load_migrations, migrate
from libs.common.settings import REPO_ROOT

Conn = asyncpg.Connection | PoolConnectionProxy
SPEC_PATH = REPO_ROOT.parent / "shared" / "spec" / "database-schema.md"
RLS_TABLES = (
    "app_chat_sessions", "app_leads", "app_security_incidents", "app_admin_logs",
    "app_agent_objectives", "app_agent_runs", "app_prompt_store", "app_company_facts",
)
# Named by the spec but deliberately not created (see migrations/030 and docs/schema.md): its
# predicate `expires_at < NOW()` is not immutable, Postgres rejects it.
NOT_CREATED = {"idx_product_cache_expired"}
VECTOR_INDEXES = (
    "idx_knowledge_chunks_embedding", "idx_knowledge_v2_embedding", "idx_conversation_contexts_embedding",
)


@dataclass
class SpecObjects:
    tables: dict[str, set[str]] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)  # index -> table
    recommended: dict[str, str] = field(default_factory=dict)
    functions: dict[str, list[str]] = field(default_factory=dict)  # function -> argument names
    rls: set[str] = field(default_factory=set)


def _sql_blocks(markdown: str) -> list[tuple[str, str]]:
    """(section title, sql) for every ```sql block of the spec."""
    blocks: list[tuple[str, str]] = []
    for section in re.split(r"^## ", markdown, flags=re.M):
        title = section.splitlines()[0] if section else ""
        for sql in re.findall(r"```sql\n(.*?)```", section, flags=re.S):
            blocks.append((title, re.sub(r"--[^\n]*", "", sql)))
    return blocks


def parse_spec(markdown: str) -> SpecObjects:
    spec = SpecObjects()
    for title, sql in _sql_blocks(markdown):
        for table, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\);", sql, flags=re.S):
            columns = re.findall(r"^\s*([a-z_][a-z0-9_]*)\s+[A-Za-z]", body, flags=re.M)
            spec.tables.setdefault(table, set()).update(columns)
        for table, body in re.findall(r"ALTER TABLE (\w+)\s+(ADD COLUMN.*?);", sql, flags=re.S):
            spec.tables.setdefault(table, set()).update(
                re.findall(r"ADD COLUMN IF NOT EXISTS (\w+)", body))
        for index, table in re.findall(r"CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(\w+)\s+ON (\w+)", sql):
            (spec.recommended if "recommand" in title else spec.indexes)[index] = table
        for name, args in re.findall(r"CREATE OR REPLACE FUNCTION (\w+)\((.*?)\)\s*RETURNS", sql, flags=re.S):
            spec.functions[name] = re.findall(r"(?:^|,)\s*(\w+)\s", args)
        spec.rls.update(re.findall(r"ALTER TABLE (\w+) ENABLE ROW LEVEL SECURITY", sql))
    return spec


@pytest.fixture(scope="module")
def spec() -> SpecObjects:
    assert SPEC_PATH.exists(), f"the schema spec is expected beside the repository at {SPEC_PATH}"
    parsed = parse_spec(SPEC_PATH.read_text(encoding="utf-8"))
    # guard the parser itself: a regex that silently matched nothing would make every check pass
    assert len(parsed.tables) == 30 and len(parsed.functions) == 7, (parsed.tables.keys(), parsed.functions)
    assert len(parsed.recommended) == 4 and len(parsed.rls) == 8
    assert {"purchase_count", "last_purchase_at", "email"} <= parsed.tables["app_leads"]
    return parsed


@pytest.fixture
async def fresh_conn(fresh_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(fresh_dsn)
    yield conn
    await conn.close()


async def test_fresh_database_gets_every_migration_and_rerun_is_a_no_op(fresh_conn: asyncpg.Connection):
    expected = [m.name for m in load_migrations()]
    applied = await migrate(fresh_conn)
    assert [m.name for m in applied] == expected
    assert await migrate(fresh_conn) == []
    rows = await fresh_conn.fetch("SELECT name FROM schema_migrations ORDER BY version")
    assert [r["name"] for r in rows] == expected


async def test_a_changed_applied_file_is_refused(fresh_conn: asyncpg.Connection, tmp_path: Path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    await migrate(fresh_conn, folder)
    target = folder / "027_check_rate_limit_blocking.sql"
    target.write_text(target.read_text() + "\n-- edited after it ran\n")
    with pytest.raises(MigrationError, match="027_check_rate_limit_blocking was changed after it ran"):
        await migrate(fresh_conn, folder)
    target.unlink()
    with pytest.raises(MigrationError, match="missing"):
        await migrate(fresh_conn, folder)


async def test_two_concurrent_runs_apply_each_file_once(fresh_dsn: str):
    first, second = await asyncio.gather(asyncpg.connect(fresh_dsn), asyncpg.connect(fresh_dsn))
    try:
        runs = await asyncio.gather(migrate(first), migrate(second))
        total = len(load_migrations())
        assert sorted(len(run) for run in runs) == [0, total]
        versions = await first.fetch("SELECT version, count(*) AS n FROM schema_migrations GROUP BY version")
        assert len(versions) == total and all(row["n"] == 1 for row in versions)
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_every_table_and_column_of_the_spec_exists(pool: asyncpg.Pool, spec: SpecObjects):
    rows = await pool.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema()")
    present: dict[str, set[str]] = {}
    for row in rows:
        present.setdefault(row["table_name"], set()).add(row["column_name"])
    missing = {t: sorted(cols - present.get(t, set())) for t, cols in spec.tables.items()}
    assert {t: c for t, c in missing.items() if c or t not in present} == {}
    assert await pool.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'vector'") == 1


async def test_every_index_of_the_spec_exists_on_its_table_and_is_valid(
        pool: asyncpg.Pool, spec: SpecObjects):
    rows = await pool.fetch(
        """SELECT ci.relname AS index, ct.relname AS table, i.indisvalid AS valid
           FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_class ct ON ct.oid = i.indrelid
           WHERE ci.relnamespace = to_regnamespace(current_schema())""")
    present = {row["index"]: (row["table"], row["valid"]) for row in rows}
    wanted = {**spec.indexes, **{k: v for k, v in spec.recommended.items() if k not in NOT_CREATED}}
    assert {name: present.get(name) for name in wanted} == {name: (t, True) for name, t in wanted.items()}
    assert [name for name, (_, valid) in present.items() if not valid] == []


async def test_recommended_indexes_are_made_valid(pool: asyncpg.Pool, spec: SpecObjects):
    assert set(spec.recommended) - NOT_CREATED == {
        "idx_leads_email_lower", "idx_entity_memory_session_type", "idx_admin_logs_session"}
    lead_index = await pool.fetchrow(
        "SELECT i.indisunique, i.indisvalid, pg_get_indexdef(i.indexrelid) AS ddl FROM pg_index i "
        "WHERE i.indexrelid = to_regclass('idx_leads_email_lower')")
    assert lead_index is not None and lead_index["indisunique"] and lead_index["indisvalid"]
    assert "lower(email)" in lead_index["ddl"]
    # the partial index of the spec cannot exist; the plain btree of 018 serves expiry scans
    assert await pool.fetchval("SELECT to_regclass('idx_product_cache_expired')") is None
    ddl = await pool.fetchval("SELECT pg_get_indexdef(to_regclass('idx_product_cache_expires_at'))")
    assert ddl.endswith("USING btree (expires_at)")


async def test_vector_indexes_are_hnsw(pool: asyncpg.Pool):
    rows = await pool.fetch(
        "SELECT c.relname, a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam "
        "WHERE c.relkind = 'i' AND a.amname IN ('hnsw', 'ivfflat') "
        "AND c.relnamespace = to_regnamespace(current_schema())")
    methods = {row["relname"]: row["amname"] for row in rows}
    assert {name: methods.get(name) for name in VECTOR_INDEXES} == dict.fromkeys(VECTOR_INDEXES, "hnsw")
    assert "ivfflat" not in methods.values()


async def test_every_function_of_the_spec_exists_and_takes_its_arguments(
        pool: asyncpg.Pool, spec: SpecObjects):
    rows = await pool.fetch(
        "SELECT proname, proargnames, pronargs, pronargdefaults FROM pg_proc "
        "WHERE pronamespace = to_regnamespace(current_schema()) AND proname = ANY($1::text[])",
        list(spec.functions))
    found: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        found.setdefault(row["proname"], []).append(row)
    assert set(found) == set(spec.functions)
    for name, args in spec.functions.items():
        (row,) = found[name]  # one overload only: a call with the spec's arguments is never ambiguous
        assert list(row["proargnames"][: len(args)]) == args, name
        assert row["pronargs"] - row["pronargdefaults"] <= len(args) <= row["pronargs"], name


async def test_rls_is_enabled_with_a_service_policy_on_the_spec_tables(pool: asyncpg.Pool, spec: SpecObjects):
    assert spec.rls == set(RLS_TABLES)
    rows = await pool.fetch(
        "SELECT c.relname, c.relrowsecurity, array_agg(p.policyname) AS policies FROM pg_class c "
        "LEFT JOIN pg_policies p ON p.tablename = c.relname AND p.schemaname = current_schema() "
        "WHERE c.relname = ANY($1::text[]) AND c.relnamespace = to_regnamespace(current_schema()) "
        "GROUP BY c.relname, c.relrowsecurity", list(RLS_TABLES))
    assert {r["relname"]: (r["relrowsecurity"], r["policies"]) for r in rows} == {
        t: (True, ["comptoir_service_access"]) for t in RLS_TABLES}


async def _probe_role(conn: Conn) -> str:
    role = f"rls_probe_{uuid.uuid4().hex[:10]}"
    await conn.execute(f"CREATE ROLE {role} NOLOGIN")
    await conn.execute(f"GRANT SELECT ON app_leads, app_company_facts TO {role}")
    return role


async def _drop_role(conn: Conn, role: str) -> None:
    await conn.execute(f"DROP OWNED BY {role}")
    await conn.execute(f"DROP ROLE {role}")


async def _visible_leads(conn: Conn, role: str, email: str, jwt_role: str = "") -> int:
    async with conn.transaction():
        await conn.execute(f"SET LOCAL ROLE {role}")
        await conn.execute("SELECT set_config('request.jwt.claim.role', $1, true)", jwt_role)
        count: int = await conn.fetchval("SELECT count(*) FROM app_leads WHERE email = $1", email)
        return count


async def test_rls_hides_rows_from_other_roles_and_shows_them_to_the_service_role(pool: asyncpg.Pool):
    email = f"rls-{uuid.uuid4().hex[:8]}@example.fr"
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO app_leads (email) VALUES ($1)", email)
        role = await _probe_role(conn)
        try:
            assert await _visible_leads(conn, role, email) == 0
            async with conn.transaction():
                await conn.execute(f"SET LOCAL ROLE {role}")
                assert await conn.fetchval("SELECT count(*) FROM app_company_facts") == 0
            assert await _visible_leads(conn, "comptoir_service", email) == 1
            async with conn.transaction():
                await conn.execute("SET LOCAL ROLE comptoir_service")
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute("DROP TABLE app_leads")
        finally:
            await _drop_role(conn, role)
            await conn.execute("DELETE FROM app_leads WHERE email = $1", email)


SUPABASE_AUTH = """
CREATE SCHEMA auth;
CREATE FUNCTION auth.role() RETURNS TEXT LANGUAGE sql STABLE
  AS $$ SELECT NULLIF(current_setting('request.jwt.claim.role', true), '') $$;
"""


async def test_on_supabase_the_service_role_policy_uses_auth_role(fresh_conn: asyncpg.Connection):
    await fresh_conn.execute(SUPABASE_AUTH)  # what Supabase provides before our migrations run
    await migrate(fresh_conn)
    policies = await fresh_conn.fetch(
        "SELECT tablename, qual FROM pg_policies WHERE policyname = 'Service role access'")
    assert {p["tablename"] for p in policies} == set(RLS_TABLES)
    assert all("auth.role()" in p["qual"] for p in policies)
    email = "supabase@example.fr"
    await fresh_conn.execute("INSERT INTO app_leads (email) VALUES ($1)", email)
    role = await _probe_role(fresh_conn)
    try:
        assert await _visible_leads(fresh_conn, role, email, jwt_role="anon") == 0
        assert await _visible_leads(fresh_conn, role, email, jwt_role="service_role") == 1
    finally:
        await _drop_role(fresh_conn, role)


LEADS_BEFORE_026 = [
    # email, purchase_count, total_spend, last_purchase_at offset (days ago), name
    (" Bob@Example.FR ", 1, 10, 3, None),
    ("bob@example.fr", 2, 5.5, 1, "Bob"),
    ("BOB@example.fr", 0, 0, None, None),
    ("Alice@Example.fr", 1, 7, 2, "Alice"),
    ("  ", 0, 0, None, None),
]


async def test_026_merges_leads_that_differ_only_by_case(fresh_conn: asyncpg.Connection, tmp_path: Path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("0[01]*.sql")) + sorted(MIGRATIONS_DIR.glob("02[0-5]*.sql")):
        shutil.copy(path, folder)
    await migrate(fresh_conn, folder)
    for i, (email, count, spend, days_ago, name) in enumerate(LEADS_BEFORE_026):
        await fresh_conn.execute(
            "INSERT INTO app_leads (email, purchase_count, total_spend, last_purchase_at, "
            "last_purchase_amount, name, created_at) VALUES ($1, $2, $3, "
            "NOW() - make_interval(days => $4::int), $3, $5, NOW() - make_interval(mins => 10 - $6::int))",
            email, count, spend, days_ago, name, i)
    shutil.copy(MIGRATIONS_DIR / "026_leads_email_case_insensitive.sql", folder)
    await migrate(fresh_conn, folder)
    rows = await fresh_conn.fetch(
        "SELECT email, purchase_count, total_spend::float AS spend, last_purchase_amount::float AS last, "
        "name, metadata FROM app_leads ORDER BY email NULLS LAST")
    assert [(r["email"], r["purchase_count"], r["spend"], r["last"], r["name"]) for r in rows] == [
        ("alice@example.fr", 1, 7.0, 7.0, "Alice"),
        ("bob@example.fr", 3, 15.5, 5.5, "Bob"),  # the latest purchase (1 day ago) wins
        (None, 0, 0.0, 0.0, None),  # a blank e-mail becomes NULL
    ]
    assert len(json.loads(rows[1]["metadata"])["merged_lead_ids"]) == 3


def test_cli_migrate_with_a_wrong_database_url_exits_1_with_one_line():
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x", "LOG_JSON": "true"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "comptoir"), "migrate"],
        capture_output=True, text=True, env=env, timeout=60, cwd=REPO_ROOT)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot connect to database" in lines[0] and "127.0.0.1:1" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
