"""Rate-limit checks per second with 50 concurrent callers: the fixed `check_rate_limit` (027, with
036's asynchronous commit) against the specification's original (007, recreated here as
`check_rate_limit_spec_original`), same run, same table and same connections.

Two workloads per function, alternated over several rounds: "hot" — every caller on one key, limit
1000 (exactly 1000 must be admitted: any more is over-admission); "spread" — one key per caller.
Target: the fixed function at least as fast as the original, with zero over-admission.

    .venv/bin/python -m bench.security_ratelimit [--calls 2000] [--rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
import uuid
from pathlib import Path

import asyncpg

from bench._common import bench_database, bench_settings, write_result
from libs.common.db import create_pool

CALLERS = 50
HOT_LIMIT = 1000
ORIGINAL = Path(__file__).resolve().parents[1] / "migrations" / "007_rate_limiting_atomique.sql"
FUNCTIONS = {"fixed": "check_rate_limit", "original": "check_rate_limit_spec_original"}


def original_function_sql() -> str:
    sql = ORIGINAL.read_text(encoding="utf-8")
    body = sql[sql.index("CREATE OR REPLACE FUNCTION check_rate_limit"):]
    return re.sub(r"FUNCTION check_rate_limit\(", "FUNCTION check_rate_limit_spec_original(", body, count=1)


async def run_workload(pool: asyncpg.Pool, function: str, calls: int, hot: bool) -> tuple[float, int]:
    """(calls per second, admitted on the hot key)."""
    run = uuid.uuid4().hex[:8]
    query = f"SELECT ({function}($1, $2, 60))->>'allowed' = 'true'"
    per_caller = calls // CALLERS

    async def caller(n: int) -> int:
        key = f"bench:{run}:hot" if hot else f"bench:{run}:{n}"
        limit = HOT_LIMIT if hot else per_caller
        admitted = 0
        async with pool.acquire() as conn:
            for _ in range(per_caller):
                admitted += bool(await conn.fetchval(query, key, limit))
        return admitted

    started = time.perf_counter()
    admitted = await asyncio.gather(*(caller(n) for n in range(CALLERS)))
    elapsed = time.perf_counter() - started
    return per_caller * CALLERS / elapsed, sum(admitted)


async def measure(calls: int, rounds: int) -> dict[str, object]:
    rates: dict[str, list[float]] = {f"{f}_{w}": [] for f in FUNCTIONS for w in ("hot", "spread")}
    admitted: dict[str, list[int]] = {f: [] for f in FUNCTIONS}
    async with bench_database() as dsn:
        settings = bench_settings(dsn)
        pool = await create_pool(settings, min_size=CALLERS, max_size=CALLERS)
        try:
            await pool.execute(original_function_sql())
            for n in range(rounds):
                # alternate which function goes first: the machine's load drifts during a run
                order = list(FUNCTIONS.items()) if n % 2 == 0 else list(reversed(FUNCTIONS.items()))
                for name, function in order:
                    for hot in (True, False):
                        rate, ok = await run_workload(pool, function, calls, hot)
                        rates[f"{name}_{'hot' if hot else 'spread'}"].append(rate)
                        if hot:
                            admitted[name].append(ok)
        finally:
            await pool.close()
    medians = {k: round(statistics.median(v), 1) for k, v in rates.items()}
    return {
        "callers": CALLERS, "calls_per_workload": calls // CALLERS * CALLERS, "rounds": rounds,
        "hot_key_limit": HOT_LIMIT, "calls_per_second_median": medians,
        "calls_per_second_rounds": {k: [round(r) for r in v] for k, v in rates.items()},
        "ratio_fixed_to_original": {w: round(medians[f"fixed_{w}"] / medians[f"original_{w}"], 3)
                                    for w in ("hot", "spread")},
        "hot_key_admitted": admitted,
        "over_admission": {name: max(0, max(values) - HOT_LIMIT) for name, values in admitted.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.calls, args.rounds))
    ratios = figures["ratio_fixed_to_original"]
    assert isinstance(ratios, dict)
    figures["target"] = "fixed >= original calls/s (ratio >= 1) with zero over-admission"
    write_result("security_ratelimit", figures)


if __name__ == "__main__":
    main()
