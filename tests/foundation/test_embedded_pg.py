"""The embedded server (libs/common/embedded_pg.py): started on demand, stopped on request."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg
import pytest

from libs.common.embedded_pg import PGDATA_NAME, embedded_dsn, stop_embedded
from libs.common.settings import REPO_ROOT


async def test_stop_embedded_stops_a_server_this_process_did_not_start(tmp_path: Path) -> None:
    dsn = await asyncio.to_thread(embedded_dsn, tmp_path)
    try:
        conn = await asyncpg.connect(dsn)
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
        # as `comptoir db stop` is: another process, which only knows the folder
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", f"from pathlib import Path; from libs.common.embedded_pg import stop_embedded; "
            f"print(stop_embedded(Path({str(tmp_path)!r})))", cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        assert out.decode().strip() == "True"
        assert not (tmp_path / PGDATA_NAME / "postmaster.pid").exists()
        with pytest.raises((OSError, asyncpg.PostgresError)):
            await asyncpg.connect(dsn, timeout=5)
        assert stop_embedded(tmp_path) is False  # nothing runs there any more
    finally:
        stop_embedded(tmp_path)
