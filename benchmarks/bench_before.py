"""The engine against itself before issue 12 (commit 2d6dc2c), side by side in one run.

A temporary ``git worktree`` of that commit runs the same benchmark code with this checkout's
virtual environment; runs of the three alternate, each in a fresh process, so a load that comes
and goes favours none: before, now as ``make`` installs it (the engine's compiled build of this
code, :mod:`twin.compiled`, when there is one) and now interpreted (``R2R_INTERPRETED=1``). The
target is on the engine as installed; the interpreted figure says what the compiled build adds.
Prints CPU times and their ratios:

* a plant-year (the baseline plant with its order book repeated for 365 days, quality on);
* a study of 100 plant-month replications on one local worker (``bench_study.py``'s study).

Run with ``make bench`` or ``python benchmarks/bench_before.py [--repeats N]``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.targets import target  # noqa: E402

BEFORE = "2d6dc2c"

PLANT_YEAR = """
import json, sys, time
sys.path.insert(0, ".")
from benchmarks.bench_engine import plant_year
from twin.engine import run_replication
scenario = plant_year(True)
started = time.process_time()
run_replication(scenario)
print(json.dumps({"cpu_s": time.process_time() - started}))
"""

STUDY = """
import json, sys, tempfile, time
sys.path.insert(0, ".")
from pathlib import Path
from benchmarks.bench_study import spec
from twin import Store, run_study
with tempfile.TemporaryDirectory() as folder:
    study = spec()
    started, cpu = time.perf_counter(), time.process_time()
    run_study(study, store=Store(Path(folder) / "s.sqlite"), workers=1)
    print(json.dumps({"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - started}))
"""


ENGINE = """
import json
import twin
from twin.compiled import engine
print(json.dumps({"engine": engine().label()}))
"""


def run(tree: Path, code: str, interpreted: bool = False) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter that imports the twin from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("R2R_INTERPRETED", None)
    if interpreted:
        env["R2R_INTERPRETED"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def compare(name: str, code: str, before: Path, repeats: int) -> float:
    """Alternate runs of ``code`` before, now and now interpreted; print and return the ratio of
    median CPU before / now.

    The target (issue 12) is at least 3× less CPU than before.
    """
    runs = {"before": (before, False), "now": (ROOT, False), "interpreted": (ROOT, True)}
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):
        for what, (tree, interpreted) in runs.items():
            times[what].append(run(tree, code, interpreted)["cpu_s"])
    median = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    ratio = median["before"] / median["now"]
    print(
        f"{name}: CPU before {median['before']:.3f} s, now {median['now']:.3f} s, now "
        f"interpreted {median['interpreted']:.3f} s (medians of {repeats}): {ratio:.2f}× less "
        f"CPU (best of each: {best['before'] / best['now']:.2f}×; interpreted "
        f"{median['before'] / median['interpreted']:.2f}×; target ≥ 3×)"
    )
    target("issue 12", f"{name}: CPU before / now", "≥ 3×", f"{ratio:.2f}×", ratio >= 3)
    return ratio


def main() -> None:
    """Build the worktree of the commit before, compare, and remove the worktree."""
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 5
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"== now against {BEFORE} (before issue 12); {os.cpu_count()} cores, load {load}")
    print(f"   now: the engine {run(ROOT, ENGINE)['engine']}")
    with tempfile.TemporaryDirectory() as folder:
        before = Path(folder) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before), BEFORE],
            check=True,
            capture_output=True,
        )
        try:
            compare("plant-year", PLANT_YEAR, before, repeats)
            compare("study of 100 plant-months, 1 worker", STUDY, before, max(2, repeats // 2))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)],
                check=True,
                capture_output=True,
            )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"   load after: {load}")


if __name__ == "__main__":
    main()
