"""An experiment (issue 12): the engine's hot modules compiled with mypyc, against the same code
interpreted and against the commit before the issue, side by side in one run.

The engine is mypy-clean, so mypyc (shipped with mypy, in the dev extra) can compile its event
loop's modules to C extensions without a change to the source. Nothing is compiled in this
checkout: a copy of it in a temporary folder is, so the package itself stays pure Python and no
stale extension can shadow an edited module. The copy's KPIs must be those recorded in
``tests/data/kpi_reference.json`` (every metric of the bundled scenarios' 30-day runs), so the
compiled engine is the same model; then, runs taken in turns in fresh processes:

* a plant-year: before the issue, now interpreted, now compiled;
* the 5-station roll-coupled line: the plain SimPy model, the twin interpreted and compiled.

The project's mypy configuration loads the pydantic plugin, with which mypyc writes C that does
not build (``pydantic.main`` undeclared); the copy's configuration leaves the plugin out, and
modules that define pydantic models are not compiled. Run with ``make bench`` or
``python benchmarks/bench_compiled.py [--repeats N]``; prints nothing but a note when mypyc or a
C compiler is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_before import BEFORE, PLANT_YEAR  # noqa: E402
from benchmarks.targets import target  # noqa: E402

MODULES = [
    "twin/engine/tool.py",
    "twin/engine/segment.py",
    "twin/engine/flow.py",
    "twin/engine/entities.py",
    "twin/engine/plant/crews.py",
    "twin/engine/plant/orders.py",
    "twin/engine/plant/supply.py",
    "twin/engine/levels.py",
    "twin/engine/clock.py",
]
"""The event loop's modules: tools, segments, rolls and queues, crews, release and delivery,
levels and the clock (compiling the quality modules too gained nothing: their work is numpy's)."""
COPIED = ["twin", "stations", "benchmarks", "scenarios", "studies", "tests", "pyproject.toml"]

LINE = """
import json, sys, time
sys.path.insert(0, ".")
from benchmarks.bench_line import twin_line
started = time.process_time()
rate = twin_line(1)
print(json.dumps({"cpu_s": time.process_time() - started, "rate": rate}))
"""
SIMPY_LINE = """
import json, sys, time
sys.path.insert(0, ".")
from benchmarks.bench_line import DAYS, WARMUP_DAYS
from benchmarks.line_models import simpy_line
started = time.process_time()
rate = simpy_line(DAYS, WARMUP_DAYS, 1)
print(json.dumps({"cpu_s": time.process_time() - started, "rate": rate}))
"""
KPIS = """
import json, sys
sys.path.insert(0, ".")
import twin.engine.tool
from tests.reference.record_kpis import REFERENCE, record
compiled = twin.engine.tool.__file__.endswith(".so")
same = json.loads(json.dumps(record(), sort_keys=True)) == json.loads(REFERENCE.read_text())
print(json.dumps({"compiled": compiled, "same": same}))
"""


def run(tree: Path, code: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter that imports the twin from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def compile_copy(folder: Path) -> Path | None:
    """A copy of this checkout with :data:`MODULES` compiled; None if mypyc cannot build it."""
    copy = folder / "compiled"
    copy.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, symlinks=True)
        else:
            shutil.copy(source, copy / name)
    config = copy / "pyproject.toml"
    config.write_text(re.sub(r'(?m)^plugins = \["pydantic\.mypy"\]\n', "", config.read_text()))
    mypyc = Path(sys.executable).parent / "mypyc"
    if not mypyc.exists():
        print(f"  mypyc not found beside {sys.executable}: nothing compiled")
        return None
    env = {**os.environ, "PYTHONPATH": str(copy)}
    built = subprocess.run(
        [str(mypyc), *MODULES], cwd=copy, env=env, capture_output=True, text=True, check=False
    )
    if built.returncode != 0:
        print(f"  mypyc could not build the engine: {built.stderr.strip()[-300:]}")
        return None
    return copy


def medians(trees: dict[str, Path], code: dict[str, str], repeats: int) -> dict[str, float]:
    """Median CPU of each (tree, code), runs taken in turns."""
    times: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(repeats):
        for name, tree in trees.items():
            times[name].append(run(tree, code[name])["cpu_s"])
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    """Compile a copy, check its KPIs, compare its CPU; print the figures and the targets."""
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 5
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"== the engine compiled with mypyc (experiment): {os.cpu_count()} cores, load {load}")
    with tempfile.TemporaryDirectory() as folder:
        copy = compile_copy(Path(folder))
        if copy is None:
            return
        check = run(copy, KPIS)
        print(
            f"  compiled modules loaded: {check['compiled']}; every KPI of the reference runs "
            f"identical: {check['same']}"
        )
        before = Path(folder) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before), BEFORE],
            check=True,
            capture_output=True,
        )
        try:
            trees = {"before": before, "interpreted": ROOT, "compiled": copy}
            year = medians(trees, dict.fromkeys(trees, PLANT_YEAR), repeats)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)],
                check=True,
                capture_output=True,
            )
        print(
            f"  plant-year CPU (medians of {repeats}): before {year['before']:.3f} s, "
            f"interpreted {year['interpreted']:.3f} s, compiled {year['compiled']:.3f} s"
        )
        trees = {"plain SimPy": ROOT, "interpreted": ROOT, "compiled": copy}
        code = {"plain SimPy": SIMPY_LINE, "interpreted": LINE, "compiled": LINE}
        line = medians(trees, code, repeats)
        print(
            f"  5-station line CPU (medians of {repeats}): plain SimPy {line['plain SimPy']:.3f} "
            f"s, twin interpreted {line['interpreted']:.3f} s, compiled {line['compiled']:.3f} s"
        )
    ok = bool(check["compiled"] and check["same"])
    ratio = year["before"] / year["compiled"]
    what = "plant-year: CPU before / now, engine compiled (experiment; KPIs identical)"
    target("issue 12", what, "≥ 3×", f"{ratio:.2f}×", ok and ratio >= 3)
    ratio = line["compiled"] / line["plain SimPy"]
    what = "5-station line, CPU twin compiled (experiment) / plain SimPy"
    target("issue 12", what, "≤ 1.5×", f"{ratio:.2f}×", ok and ratio <= 1.5)


if __name__ == "__main__":
    main()
