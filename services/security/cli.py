"""`comptoir security scan [FILE]`: screen JSONL messages (`{"text": ...}`) offline, one verdict per line.

Reads FILE or standard input; prints one JSON line per input line with verdict, type, severity,
score and signals. A malformed line gets a JSON line with an `error` and the exit code is 1; a file
that cannot be read exits with 2. No database or broker is needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from libs.common.errors import ConfigurationError
from libs.guard.screening import Screener
from services.security.config import SecuritySettings


def register(subparsers: Any) -> None:
    security = subparsers.add_parser("security", help="security tools (prompt-attack screening)")
    sub = security.add_subparsers(dest="security_command", required=True)
    scan = sub.add_parser("scan", help="screen JSONL messages ({\"text\": ...}) from FILE or stdin")
    scan.add_argument("file", nargs="?", default="-", help="JSONL file (default: standard input)")
    scan.set_defaults(handler=scan_command)


def _text_of(line: str) -> str:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from exc
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise ValueError('expected an object with a string "text"')
    text: str = item["text"]
    return text


def scan_lines(lines: Iterable[str], screener: Screener, out: TextIO) -> int:
    """Write one verdict per non-empty line; returns the number of malformed lines."""
    errors = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            text = _text_of(line)
        except ValueError as exc:
            errors += 1
            out.write(json.dumps({"line": number, "error": str(exc)}) + "\n")
            continue
        result = screener.screen(text)
        out.write(json.dumps({"line": number, "verdict": result.verdict, "type": result.type,
                              "severity": result.severity, "score": result.score,
                              "signals": result.signals}, ensure_ascii=False) + "\n")
    return errors


def scan_command(args: argparse.Namespace) -> int:
    from services.security.app import build_deps

    try:
        screener = build_deps(SecuritySettings()).screener
    except ConfigurationError as exc:
        print(f"comptoir security scan: {exc}", file=sys.stderr)
        return 2
    if args.file == "-":
        errors = scan_lines(sys.stdin, screener, sys.stdout)
    else:
        try:
            with open(args.file, encoding="utf-8", errors="replace") as handle:
                errors = scan_lines(handle, screener, sys.stdout)
        except OSError as exc:
            print(f"comptoir security scan: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
    if errors:
        print(f"comptoir security scan: {errors} malformed line(s)", file=sys.stderr)
        return 1
    return 0
