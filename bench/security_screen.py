"""Screening latency for 500-character messages, in-process (target: p99 <= 2 ms).

Messages are the labelled set's texts (attacks and customer messages alike) repeated or cut to 500
characters. Screening is the default Screener (rules + the shipped n-gram model); the rules alone are
timed too, to show the model's share. Baseline, in the same run: the cheapest screen one could write
(fold case + one regex).

    .venv/bin/python -m bench.security_screen [--rounds 4000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench._common import write_result
from libs.guard.screening import Screener

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "security" / "data" / "labelled.jsonl"
NAIVE = re.compile(r"ignore (?:all )?previous instructions")


def messages(length: int = 500) -> list[str]:
    texts = [json.loads(line)["text"] for line in LABELLED.read_text(encoding="utf-8").splitlines() if line]
    return [((text + " ") * (length // max(len(text), 1) + 1))[:length] for text in texts]


def timings(fn: Callable[[str], object], texts: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """(wall-clock ms, this thread's CPU ms) per call, each sorted. On a shared, loaded machine the
    wall clock's tail is the scheduler's; the CPU time is the screening's own cost."""
    wall, cpu = [], []
    gc.collect()
    for i in range(rounds):
        text = texts[i % len(texts)]
        started, started_cpu = time.perf_counter(), time.thread_time()
        fn(text)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return sorted(wall), sorted(cpu)


def summary(ms: list[float]) -> dict[str, float]:
    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p * len(ms)))], 4)
    return {"p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": round(ms[-1], 4),
            "mean_ms": round(statistics.fmean(ms), 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4000)
    args = parser.parse_args()
    texts = messages()
    screener = Screener()
    for text in texts:  # warm-up: compile caches, first-call costs
        screener.screen(text)
    wall, cpu = timings(screener.screen, texts, args.rounds)
    rules_only = Screener(model=False)
    _, rules_cpu_only = timings(rules_only.screen, texts, args.rounds)
    base_wall, base_cpu = timings(lambda t: NAIVE.search(t.lower()), texts, args.rounds)
    rules, rules_cpu = summary(wall), summary(cpu)
    write_result("security_screen", {
        "messages": len(texts), "chars_per_message": 500, "rounds": args.rounds,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "screening_wall": rules, "screening_cpu": rules_cpu, "rules_only_cpu": summary(rules_cpu_only),
        "baseline_one_regex_wall": summary(base_wall), "baseline_one_regex_cpu": summary(base_cpu),
        "p50_ratio_to_baseline": round(rules["p50_ms"] / max(summary(base_wall)["p50_ms"], 1e-6), 1),
        "target": "p99 <= 2 ms", "target_met_wall": rules["p99_ms"] <= 2.0,
        "target_met_cpu": rules_cpu["p99_ms"] <= 2.0,
    })


if __name__ == "__main__":
    main()
