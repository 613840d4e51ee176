"""Scheduler benchmarks: published job-shop and flow-shop instances against their optima.

Run with ``make bench`` or ``python benchmarks/bench_schedule.py [--time-limit S] [--workers N]``.

- Job shops ft10 and la01–la20 (JSPLIB): time to a proven optimum with 2 workers; target: all
  optimal, ft10 within 60 s.
- Permutation flow shops ta001, ta002, ta011, ta022 (Taillard): gap to the best known makespan
  after the time limit (60 s); target at most 1 %.

The instance files are read from ``$R2R_BENCHMARKS`` (default ``/work/shared/benchmarks``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin.schedule.instances import format_benchmark, solve_benchmark  # noqa: E402

BENCHMARKS = Path(os.environ.get("R2R_BENCHMARKS", "/work/shared/benchmarks"))
JOBSHOPS = ["ft10", *(f"la{i:02d}" for i in range(1, 21))]
FLOWSHOPS = ["ta001", "ta002", "ta011", "ta022"]
FLOWSHOP_TARGET_GAP = 0.01


def run(paths: list[Path], time_limit_s: float, workers: int) -> list[dict[str, Any]]:
    """Solve each instance, printing a line per instance as it finishes."""
    results = []
    for path in paths:
        result = solve_benchmark(path, time_limit_s=time_limit_s, workers=workers)
        print("  " + format_benchmark(result), flush=True)
        results.append(result)
    return results


def main() -> None:
    """Run both parts and print a summary against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    args = parser.parse_args()
    began = time.perf_counter()

    print(
        f"== Job shops: time to proven optimum ({args.workers} workers, "
        f"limit {args.time_limit:g} s)"
    )
    jobshops = run([BENCHMARKS / "jobshop" / n for n in JOBSHOPS], args.time_limit, args.workers)
    proven = [r for r in jobshops if r["status"] == "OPTIMAL" and r["gap_to_known"] == 0]
    times = sorted(r["wall_time_s"] for r in jobshops)
    ft10 = jobshops[0]
    print(
        f"  -> {len(proven)}/{len(jobshops)} proven optimal; time per instance: median "
        f"{times[len(times) // 2]:.2f} s, max {times[-1]:.1f} s, total {sum(times):.1f} s; "
        f"ft10 {ft10['wall_time_s']:.1f} s ({ft10['status']})"
    )

    print(f"== Permutation flow shops: gap to best known after {args.time_limit:g} s")
    flowshops = run(
        [BENCHMARKS / "flowshop" / f"{n}.txt" for n in FLOWSHOPS], args.time_limit, args.workers
    )
    gaps = [r["gap_to_known"] for r in flowshops]
    within = sum(gap <= FLOWSHOP_TARGET_GAP for gap in gaps)
    print(
        f"  -> {within}/{len(flowshops)} within {FLOWSHOP_TARGET_GAP:.0%}; mean gap "
        f"{sum(gaps) / len(gaps):.2%}, worst {max(gaps):.2%}; mean makespan / best known "
        f"{sum(r['makespan'] / r['known_optimum'] for r in flowshops) / len(flowshops):.4f}"
    )
    print(f"== Total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
