"""Screening cost per message length, and how long it stalls an event loop.

Buckets of 100, 500, 2,000 and 4,000 characters (the gateway's maximum). Each message is distinct and
made of real text: our labelled shop messages and attacks, our general-assistant requests and French
Service-Public passages (PIAF, ../shared/data/piaf-spf-qr-test.json, when present), joined in a seeded
random order and cut at a word boundary, so long messages look like pasted documents with questions
and attacks inside. Timed in the same run, per bucket:

- `shipped`: the default Screener (rules, anchored, + the n-gram model), CPU (this thread) and wall;
- `plain_rules` (baseline): the same screener with anchoring off (every rule searched over the whole
  text, as before), for the ratio;
- `one_regex` (floor): fold case + one regex.

The heap is settled once the screener is built, as a service's is once started
(`libs.common.aio.settle_heap`): otherwise a full collection (~25 ms) walks the screening tables in the
middle of a message. `--repeat N` screens each message N times and keeps its least time (other sessions
on a shared machine only ever add time); the default, 1, is one run per message.

Then the event loop: a 1 ms ticker runs while 4,000-character messages are screened one after the
other, inline (the loop waits for each) and through `libs.guard.offload` (in steps, the loop running
between them); the ticker's worst lateness is the longest stall a visitor's request would see.

    .venv/bin/python -m bench.security_screen [--messages 300] [--repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._common import write_result
from libs.common.aio import settle_heap
from libs.guard import offload
from libs.guard.screening import Screener, anchors

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "security" / "data"
PIAF = ROOT.parent / "shared" / "data" / "piaf-spf-qr-test.json"
NAIVE = re.compile(r"ignore (?:all )?previous instructions")
BUCKETS = (100, 500, 2000, 4000)


def _pool() -> list[str]:
    texts = [json.loads(line)["text"] for name in ("labelled.jsonl", "heldout4.jsonl", "general/requests.jsonl")
             for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    if PIAF.exists():
        piaf = json.loads(PIAF.read_text(encoding="utf-8"))
        texts += [p["context"] for doc in piaf["data"] for p in doc["paragraphs"]]
    return texts


def messages(length: int, count: int, seed: int = 1) -> list[str]:
    """`count` distinct messages of about `length` characters (cut at a word boundary)."""
    pool, rng = _pool(), random.Random(seed * 7919 + length)
    out: set[str] = set()
    while len(out) < count:
        parts, size = [], 0
        while size < length:
            text = rng.choice(pool)
            parts.append(text)
            size += len(text) + 1
        joined = " ".join(parts)[:length]
        out.add(joined[:joined.rfind(" ")] if " " in joined[length // 2:] else joined)
    return sorted(out, key=lambda _: rng.random())


def timings(fn: Callable[[str], object], texts: list[str], repeat: int = 1) -> tuple[list[float], list[float]]:
    """(wall ms, this thread's CPU ms) per message, each sorted; with `repeat` > 1 the least of that many
    runs per message (on a shared machine other processes only ever add time)."""
    wall, cpu = [], []
    gc.collect()
    for text in texts:
        runs = []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.thread_time()
            fn(text)
            runs.append(((time.thread_time() - started_cpu) * 1000, (time.perf_counter() - started) * 1000))
        cpu.append(min(run[0] for run in runs))
        wall.append(min(run[1] for run in runs))
    return sorted(wall), sorted(cpu)


def summary(ms: list[float]) -> dict[str, float]:
    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p * len(ms)))], 3)
    return {"p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": round(ms[-1], 3),
            "mean_ms": round(statistics.fmean(ms), 3)}


async def loop_stalls(screener: Screener, texts: list[str], off_loop: bool) -> dict[str, float]:
    """Worst and p99 lateness of a 1 ms ticker while `texts` are screened one after the other."""
    late: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            late.append(max(0.0, (time.perf_counter() - started) * 1000 - 1.0))

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    for text in texts:
        if off_loop:
            await offload.screen(screener, text)
        else:
            screener.screen(text)
            await asyncio.sleep(0)
    done.set()
    await task
    late.sort()
    return {"ticks": len(late), "p99_stall_ms": round(late[int(0.99 * (len(late) - 1))], 3),
            "max_stall_ms": round(late[-1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300, help="distinct messages per length bucket")
    parser.add_argument("--repeat", type=int, default=1, help="runs per message, the least CPU time kept")
    args = parser.parse_args()
    screener = Screener()
    settle_heap()
    buckets: dict[str, dict[str, Any]] = {}
    for length in BUCKETS:
        texts = messages(length, args.messages)
        for text in texts[:20]:  # warm-up
            screener.screen(text)
        wall, cpu = timings(screener.screen, texts, args.repeat)
        anchors.ENABLED = False
        try:
            _, plain_cpu = timings(screener.screen, texts, args.repeat)
        finally:
            anchors.ENABLED = True
        _, naive_cpu = timings(lambda t: NAIVE.search(t.lower()), texts, args.repeat)
        shipped = summary(cpu)
        plain = summary(plain_cpu)
        buckets[str(length)] = {
            "messages": len(texts), "mean_chars": round(statistics.fmean(map(len, texts))),
            "shipped_cpu": shipped, "shipped_wall": summary(wall), "plain_rules_cpu": plain,
            "one_regex_cpu": summary(naive_cpu),
            "p50_ratio_to_plain": round(shipped["p50_ms"] / max(plain["p50_ms"], 1e-6), 2),
            "p99_ratio_to_plain": round(shipped["p99_ms"] / max(plain["p99_ms"], 1e-6), 2),
        }
    long_texts = messages(4000, min(args.messages, 60), seed=2)
    stalls = {"inline": asyncio.run(loop_stalls(screener, long_texts, off_loop=False)),
              "offload": asyncio.run(loop_stalls(screener, long_texts, off_loop=True))}
    write_result("security_screen", {
        "repeat": args.repeat, "buckets": buckets, "loop_stalls_4000_chars": stalls,
        "target": "CPU p99 <= 5 ms at 4,000 chars; <= 5 ms of event-loop stall per message",
        "target_met_cpu_4000": buckets["4000"]["shipped_cpu"]["p99_ms"] <= 5.0,
        "target_met_loop": stalls["offload"]["max_stall_ms"] <= 5.0,
    })


if __name__ == "__main__":
    main()
