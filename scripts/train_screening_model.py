"""Rebuild the shipped screening model (libs/guard/screening/screening_model.npz).

Training rows: our labelled set (tests/security/data/labelled.jsonl), deepset/prompt-injections
(tests/security/data/public/deepset_prompt_injections.jsonl, Apache-2.0) and benign shop messages
and small talk from templates (libs/guard_training/data/templates.jsonl). Never the PurpleLlama rows
nor tests/security/data/heldout.jsonl: those stay held out for bench/security_eval.py.
Deterministic: same rows → same weights.

    .venv/bin/python scripts/train_screening_model.py [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from libs.guard.screening.model import DEFAULT_PATH  # noqa: E402
from libs.guard_training.train import (  # noqa: E402
    TrainConfig,
    deepset_examples,
    own_examples,
    save,
    template_examples,
    train,
)

DATA = ROOT / "tests" / "security" / "data"


def load_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    own = load_jsonl(DATA / "labelled.jsonl")
    deepset = load_jsonl(DATA / "public" / "deepset_prompt_injections.jsonl")
    examples = own_examples(own) + deepset_examples(deepset) + template_examples()  # type: ignore[arg-type]
    config = TrainConfig()
    model = train(examples, config)
    save(model, str(args.out))
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()[:16]
    print(f"trained on {len(own)} own + {len(deepset)} deepset rows + {len(template_examples())} templates "
          f"({config}); wrote {args.out} sha256:{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
