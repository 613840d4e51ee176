"""Start-up of the CLI (issue 12): light commands import no pandas, plotly, Dask or Streamlit.

Each command runs in a fresh interpreter (as ``r2r`` would), which then lists the heavy packages
it imported; ``import twin`` and ``r2r --help`` are timed too (median wall time of 3 fresh
interpreters each). ``tests/test_startup.py`` checks the same imports in the test suite.

Run with ``make bench`` or ``python benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.targets import target  # noqa: E402

HEAVY = ("pandas", "plotly", "dask", "distributed", "streamlit")
PROBE = """
import json, sys
from twin.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps([m for m in {heavy} if m in sys.modules]))
"""
LIGHT = [
    ["--help"],
    ["validate", "scenarios/baseline.yaml"],
    ["describe", "scenarios/baseline.yaml"],
    ["simulate", "scenarios/validation/two_station_rolls.yaml", "--days", "1", "--no-store"],
]


def heavy_imports(command: list[str]) -> list[str]:
    """The heavy packages a fresh interpreter has imported after running ``r2r command``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def wall(code: str, repeats: int = 3) -> float:
    """Median wall time of ``python -c code`` in fresh interpreters, s."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Print each light command's heavy imports and the start-up times."""
    bare = wall("pass")
    imported = wall("import twin")
    helped = wall("import sys; from twin.cli import app; sys.argv[1:] = ['--help']; app()")
    print(
        f"start-up (median of 3 fresh interpreters): python alone {bare:.2f} s, "
        f"import twin {imported:.2f} s, r2r --help {helped:.2f} s"
    )
    for command in LIGHT:
        found = heavy_imports(command)
        name = " ".join(command[:1])
        print(f"  r2r {name:<10} imports {', '.join(found) if found else 'none of'} {HEAVY}")
        target(
            "issue 12",
            f"r2r {name}: heavy packages imported",
            "none",
            ", ".join(found) if found else "none",
            not found,
        )


if __name__ == "__main__":
    main()
