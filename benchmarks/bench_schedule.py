"""Scheduler benchmarks: published job-shop, flow-shop and flexible job-shop instances.

Run with ``make bench-schedule`` or
``python benchmarks/bench_schedule.py [--time-limit S] [--workers N]`` (defaults 60 s per
instance, 2 workers); every instance is solved as ``r2r solve-benchmark`` does.

- Job shops ft10 and la01–la20 (JSPLIB): time to a proven optimum; targets: all proven optimal,
  ft10 within 30 s.
- Permutation flow shops (Taillard): gap to the best known makespan after the time limit, from
  iterated greedy's start; targets: ta001–ta022 optimal, ta041 within 3 %, ta051 within 5 %.
- Flexible job shops mk01–mk03 (Brandimarte, FJSPLIB): targets: proven optimal within 60 s.

The instance files are read from ``$R2R_BENCHMARKS`` (default ``/work/shared/benchmarks``).
Figures depend on the machine's load, printed beside them.
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
FLOWSHOPS = {"ta001": 0.0, "ta002": 0.0, "ta011": 0.0, "ta022": 0.0, "ta041": 0.03, "ta051": 0.05}
"""Each flow shop and the largest gap to its best known makespan allowed."""
FJSPS = ["mk01", "mk02", "mk03"]
FT10_TARGET_S = 30.0


def run(paths: list[Path], time_limit_s: float, workers: int) -> list[dict[str, Any]]:
    """Solve each instance, printing a line per instance (with the load) as it finishes."""
    results = []
    for path in paths:
        result = solve_benchmark(path, time_limit_s=time_limit_s, workers=workers)
        load = os.getloadavg()[0]
        print(f"  {format_benchmark(result)} (load {load:.2f})", flush=True)
        results.append(result)
    return results


def proven(result: dict[str, Any]) -> bool:
    """Whether the instance was solved to its known optimum and proven so."""
    return result["status"] == "OPTIMAL" and result["gap_to_known"] == 0


def main() -> None:
    """Run the three families and print a summary against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    args = parser.parse_args()
    began = time.perf_counter()
    limit, workers = args.time_limit, args.workers

    print(f"== Job shops: time to proven optimum ({workers} workers, limit {limit:g} s)")
    jobshops = run([BENCHMARKS / "jobshop" / n for n in JOBSHOPS], limit, workers)
    times = sorted(r["wall_time_s"] for r in jobshops)
    ft10 = jobshops[0]
    print(
        f"  -> {sum(map(proven, jobshops))}/{len(jobshops)} proven optimal (target all); time "
        f"per instance: median {times[len(times) // 2]:.2f} s, max {times[-1]:.1f} s; ft10 "
        f"{ft10['wall_time_s']:.1f} s {ft10['status']} (target proven within {FT10_TARGET_S:g} s: "
        f"{'met' if proven(ft10) and ft10['wall_time_s'] <= FT10_TARGET_S else 'NOT met'})"
    )

    print(f"== Permutation flow shops: gap to best known after {limit:g} s")
    flowshops = run([BENCHMARKS / "flowshop" / f"{n}.txt" for n in FLOWSHOPS], limit, workers)
    for result in flowshops:
        allowed = FLOWSHOPS[result["name"]]
        verdict = "met" if result["gap_to_known"] <= allowed + 1e-9 else "NOT met"
        print(
            f"  -> {result['name']}: {result['gap_to_known']:+.2%} (target <= {allowed:.0%}): "
            f"{verdict}"
        )

    print(f"== Flexible job shops: proven optimal within {limit:g} s")
    fjsps = run([BENCHMARKS / "fjsp" / f"{n}.fjs" for n in FJSPS], limit, workers)
    print(f"  -> {sum(map(proven, fjsps))}/{len(fjsps)} proven optimal (target all)")
    print(f"== Total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
