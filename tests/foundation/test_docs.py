"""docs/architecture.md stays true: every message type and every table is documented."""

from __future__ import annotations

import re
from pathlib import Path

from libs.common.messages import registry

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_message_type_is_in_the_event_catalogue() -> None:
    missing = [t for t, model in registry().items()
               if model.__module__.startswith("libs.common.events.") and f"`{t}`" not in DOC]
    assert not missing, f"run `python scripts/gen_catalogue.py`; undocumented types: {missing}"


def test_the_event_catalogue_lists_no_type_that_is_gone() -> None:
    catalogue = DOC.split("## Event catalogue", 1)[1]
    listed = re.findall(r"^\| `([a-z_.]+)` \| `[A-Za-z]+` \|", catalogue, flags=re.MULTILINE)
    assert listed, "the catalogue table was not found"
    gone = sorted(set(listed) - set(registry()))
    assert not gone, f"run `python scripts/gen_catalogue.py`; documented but not registered: {gone}"


def test_every_table_has_a_documented_writer() -> None:
    sql = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "migrations").glob("*.sql")))
    tables = set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(app_\w+)", sql))
    ownership = DOC.split("## Table ownership", 1)[1].split("## Event catalogue", 1)[0]
    missing = sorted(t for t in tables if not re.search(rf"\b{t}\b", ownership))
    assert not missing, f"tables without a writer in docs/architecture.md: {missing}"
