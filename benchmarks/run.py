"""Run the benchmarks one after another and end with a table of their targets.

``make bench`` runs the engine's, the study's and the loaders' benchmarks (about 7 minutes on the
loaded 2-core machine), ``make bench-schedule`` the scheduler's and re-planning's (each instance
up to its time limit, each plan 5 s: 15 minutes and more), ``make bench-all`` both. Each
benchmark's output is printed as it comes; the lines it prints through
:func:`benchmarks.targets.target` are printed again at the end, one row per target (target
against measured, met or missed), with each benchmark's time. The exit code is that of the first
benchmark that failed (a missed target is a figure, not a failure).

Usage: ``python benchmarks/run.py [engine|schedule|all]`` (default ``engine``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.targets import PREFIX  # noqa: E402

SETS = {
    "engine": [
        "bench_before.py",
        "bench_engine.py",
        "bench_line.py",
        "bench_startup.py",
        "bench_shape.py",
        "bench_study.py",
        "bench_state.py",
        "bench_loading.py",
        "bench_history.py",
    ],
    "schedule": ["bench_schedule.py", "bench_schedule_plant.py", "bench_rolling.py"],
}
SETS["all"] = SETS["engine"] + SETS["schedule"]


def run(script: str) -> tuple[int, float, list[str]]:
    """Run one benchmark, echoing its output; its exit code, wall time and target lines."""
    print(f"== benchmarks/{script}", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / script)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    targets = []
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.startswith(PREFIX):
            targets.append(line[len(PREFIX) :].rstrip("\n"))
    code = process.wait()
    return code, time.perf_counter() - started, targets


def main() -> None:
    """Run the chosen set; print the targets' table and the times."""
    chosen = sys.argv[1] if len(sys.argv) > 1 else "engine"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"benchmarks ({chosen}): {os.cpu_count()} cores, load {load}", flush=True)
    started = time.perf_counter()
    failed = 0
    rows: list[str] = []
    times: list[tuple[str, float, int]] = []
    for script in SETS[chosen]:
        code, seconds, targets = run(script)
        times.append((script, seconds, code))
        rows += targets
        failed = failed or code
    print("\n== targets (issue | what | target | measured | verdict)")
    for row in rows:
        print(f"  {row}")
    print(f"  {sum(r.endswith('| met') for r in rows)} of {len(rows)} met")
    print("== times")
    for script, seconds, code in times:
        print(f"  {script:<26} {seconds:6.0f} s{'' if code == 0 else f'  FAILED (exit {code})'}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  {'total':<26} {time.perf_counter() - started:6.0f} s (load after {load})")
    sys.exit(failed)


if __name__ == "__main__":
    main()
