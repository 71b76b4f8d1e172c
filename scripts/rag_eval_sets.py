"""Build the retrieval evaluation sets of bench/data/rag/ from PIAF's Service-Public.fr file.

    .venv/bin/python scripts/rag_eval_sets.py          # writes bench/data/rag/piaf-*.jsonl

Each of the 105 Service-Public.fr fiches of ../shared/data/piaf-spf-qr-test.json (MIT,
etalab-ia/piaf-ml) is cut into passages at its section headings (a short line without a final
full stop); long sections are cut at line ends near 120 words. The fiches are split in two
halves (even / odd position), each half a corpus of its own: `piaf-a` and `piaf-b`. A PIAF question
is relevant to the passage holding its answer span. The written questions (questions-written.jsonl,
our own, each naming its passage) are added to the corpus they belong to; within each corpus, the
questions are split once, by a fixed seed, into dev (30) and test (the rest, 200 or more).
The output is deterministic; bench/data/rag/README.md describes it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PIAF = ROOT.parent / "shared" / "data" / "piaf-spf-qr-test.json"
OUT = ROOT / "bench" / "data" / "rag"
MAX_WORDS = 120
DEV_QUESTIONS = 30  # per corpus; the rest (200 or more) is the test set


def _is_heading(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 12 and not line.rstrip().endswith((".", ":", ";", ",")) and len(line) < 100


def passages_of(fiche: str, context: str) -> list[dict[str, Any]]:
    """Passages with their character span in the context (to place the answer)."""
    out: list[dict[str, Any]] = []
    heading: str | None = None
    body: list[tuple[int, str]] = []

    def flush() -> None:
        if not body:
            return
        text = "\n".join(line for _, line in body)
        out.append({"id": f"{fiche}-{len(out) + 1}", "title": heading, "text": text,
                    "start": body[0][0], "end": body[-1][0] + len(body[-1][1])})
        body.clear()

    offset = 0
    for raw in context.split("\n"):
        start = offset
        offset += len(raw) + 1
        line = raw.strip()
        if not line:
            continue
        if _is_heading(line) and not (body and len(body) == 0):
            flush()
            heading = line
            continue
        if body and sum(len(t.split()) for _, t in body) + len(line.split()) > MAX_WORDS:
            flush()
        body.append((start + raw.index(line[0]), line))
    flush()
    return out


def main() -> None:
    data = json.loads(PIAF.read_text(encoding="utf-8"))["data"]
    corpora: dict[str, list[dict[str, Any]]] = {"piaf-a": [], "piaf-b": []}
    questions: dict[str, list[dict[str, Any]]] = {"piaf-a": [], "piaf-b": []}
    seen: dict[tuple[str, str], str] = {}
    ids: set[str] = set()
    for i, article in enumerate(data):
        name = "piaf-a" if i % 2 == 0 else "piaf-b"
        for paragraph in article["paragraphs"]:
            passages = passages_of(article["title"], paragraph["context"])
            for p in passages:  # a text repeated in a fiche (same sentences under two headings) is kept once
                p["id"] = seen.setdefault((name, p["text"]), p["id"])
                if p["id"] not in ids:
                    ids.add(p["id"])
                    corpora[name].append({k: p[k] for k in ("id", "title", "text")})
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]["answer_start"]
                hit = next((p["id"] for p in passages if p["start"] <= answer < p["end"] + 1), None)
                if hit:
                    questions[name].append({"query": qa["question"], "relevant": [hit], "origin": "piaf"})
    written = OUT / "questions-written.jsonl"
    if written.exists():
        known = {p["id"]: name for name, ps in corpora.items() for p in ps}
        for line in written.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)
                corpus = known[q["relevant"][0]]
                questions[corpus].append({"query": q["query"], "relevant": q["relevant"], "origin": "written"})
    for name in corpora:
        _write(OUT / f"{name}-passages.jsonl", corpora[name])
        qs = questions[name]
        random.Random(16).shuffle(qs)
        dev = DEV_QUESTIONS
        _write(OUT / f"{name}-dev.jsonl", qs[:dev])
        _write(OUT / f"{name}-test.jsonl", qs[dev:])
        print(f"{name}: {len(corpora[name])} passages, {dev} dev / {len(qs) - dev} test questions")


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
