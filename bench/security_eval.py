"""Detection and false-positive rates of the screening rules, per language and per incident type.

Sets: our labelled set (tests/security/data/labelled.jsonl, written for this project) and, as an
independent check we never tuned on, the public sets in ../shared/data (deepset/prompt-injections,
Apache-2.0; PurpleLlama French prompt-injection rows, MIT) when that folder is present.

    .venv/bin/python bench/security_eval.py            # writes bench/results/security_eval.json
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.security.screening import Screener  # noqa: E402

OWN_SET = ROOT / "tests" / "security" / "data" / "labelled.jsonl"
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results" / "security_eval.json"


def load_own() -> list[dict[str, Any]]:
    return [json.loads(line) for line in OWN_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_deepset() -> list[dict[str, Any]]:
    path = SHARED / "prompt-injections-deepset.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"text": r["text"], "label": "attack" if r["label"] == 1 else "benign", "type": "injection"
             if r["label"] == 1 else "none", "lang": "en/de"} for r in rows]


def load_purplellama() -> list[dict[str, Any]]:
    path = SHARED / "prompt-injection-purplellama-fr.json"
    if not path.exists():
        return []
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [{"text": r["user_input"], "label": "attack", "type": "injection", "lang": "fr",
             "variant": r.get("injection_variant", "")} for r in rows]


def _rate(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


def evaluate(rows: list[dict[str, Any]], screener: Screener) -> dict[str, Any]:
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # key -> [flagged, total]
    misses: list[str] = []
    false_positives: list[str] = []
    for row in rows:
        flagged = screener.screen(row["text"]).verdict != "allow"
        attack = row["label"] == "attack"
        keys = ["all", f"lang:{row['lang']}", f"type:{row['type']}"] if attack else ["all", f"lang:{row['lang']}"]
        if row.get("variant"):
            keys.append(f"variant:{row['variant']}")
        for key in keys:
            counts = groups[("attack " if attack else "benign ") + key]
            counts[0] += flagged
            counts[1] += 1
        if attack and not flagged:
            misses.append(row["text"][:120])
        if not attack and flagged:
            false_positives.append(row["text"][:120])
    rates = {
        key: {"flagged": c[0], "total": c[1], ("detection_rate" if key.startswith("attack") else
                                                "false_positive_rate"): _rate(c[0], c[1])}
        for key, c in sorted(groups.items())
    }
    return {"rates": rates, "missed_attacks": misses, "false_positives": false_positives}


def _summary(name: str, report: dict[str, Any]) -> str:
    rates = report["rates"]
    attack = rates.get("attack all", {}).get("detection_rate")
    benign = rates.get("benign all", {}).get("false_positive_rate")
    return f"{name:24} detection={attack}  false_positive={benign}"


def main() -> int:
    screener = Screener()
    sets = {"own": load_own(), "deepset": load_deepset(), "purplellama_fr": load_purplellama()}
    results = {name: evaluate(rows, screener) for name, rows in sets.items() if rows}
    for name, report in results.items():
        print(_summary(name, report))
        for key, value in report["rates"].items():
            rate = value.get("detection_rate", value.get("false_positive_rate"))
            print(f"    {key:32} {value['flagged']:4}/{value['total']:<4} {rate}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "security_eval", "sets": results}, indent=2, ensure_ascii=False))
    print(f"written {RESULTS.relative_to(ROOT)}")
    own = results["own"]["rates"]
    ok = own["attack all"]["detection_rate"] >= 0.9 and own["benign all"]["false_positive_rate"] <= 0.03
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
