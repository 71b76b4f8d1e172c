"""Rewrite the event catalogue at the end of docs/architecture.md from the message registry."""

from __future__ import annotations

import sys
from pathlib import Path

from libs.common.messages import registry

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
MARK = "## Event catalogue"


def catalogue() -> str:
    lines = ["| type | model | owner | description |", "|---|---|---|---|"]
    for type_name, model in sorted(registry().items()):
        if not model.__module__.startswith("libs.common.events."):
            continue
        owner = model.__module__.rsplit(".", 1)[-1]
        doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        lines.append(f"| `{type_name}` | `{model.__name__}` | {owner} | {doc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    head, mark, tail = text.partition(MARK)
    if not mark:
        print(f"{DOC}: no '{MARK}' heading", file=sys.stderr)
        return 1
    intro = tail.split("\n|", 1)[0].rstrip() + "\n\n"
    DOC.write_text(head + mark + intro + catalogue(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
