"""The twin against plain SimPy, salabim and ciw on the 5-station roll-coupled line of issue 12.

The same line in the twin's scenario format and in the three models of ``line_models.py``: 100
days, 1 day of warm-up, quality off (the other models know no defects). Runs alternate, each
model once per round, and the CPU times are compared by their medians over the rounds; each
model's throughput is printed with its spread over the rounds' seeds, so that one can see they
agree. The twin runs as ``make`` installs it (its engine compiled, :mod:`twin.compiled`, when
built) and, for comparison, interpreted in a fresh process. salabim and ciw come with the
``bench`` extra (``pip install -e .[bench]``); a model whose package is missing is left out.

Run with ``make bench`` or ``python benchmarks/bench_line.py [--rounds N]`` (default 5).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scipy import stats  # noqa: E402

from benchmarks.line_models import (  # noqa: E402
    MEANS,
    MTTF,
    MTTR,
    STORE,
    ciw_line,
    salabim_line,
    simpy_line,
)
from benchmarks.targets import target  # noqa: E402
from twin.compiled import engine  # noqa: E402
from twin.engine import RunOptions, run_replication  # noqa: E402
from twin.scenario import Scenario, scenario_from_document  # noqa: E402

DAYS, WARMUP_DAYS = 100, 1


def line_scenario() -> Scenario:
    """The line as a scenario: generic tools with exponential process times, roll stores of 3."""
    stations: list[dict[str, Any]] = [
        {
            "id": f"M{k + 1}",
            "equipment": {
                "type": "generic",
                "process_time": {"dist": "exponential", "mean": mean},
            },
            "failures": [
                {
                    "ttf": {"dist": "exponential", "mean": MTTF},
                    "ttr": {"dist": "exponential", "mean": MTTR},
                    "needs_crew": False,
                }
            ],
        }
        for k, mean in enumerate(MEANS)
    ]
    stores = [
        {"kind": "roll_store", "id": f"B{k + 1}", "between": [f"M{k + 1}", f"M{k + 2}"]}
        | {"capacity_rolls": STORE}
        for k in range(len(MEANS) - 1)
    ]
    # A saturated source is a capacity run: the line's input is kept supplied, a roll whenever
    # M1 asks (an order book of more rolls than the line can make, as before, makes all of them
    # at the start, and an order-book run has no warm-up).
    return scenario_from_document(
        {
            "name": "5-station roll-coupled line",
            "roll_length_m": 100,
            "products": [
                {"id": "p", "web_width_m": 1, "recipe": [{"station_type": "generic"}] * 5}
            ],
            "lines": [{"id": "L", "stations": stations, "buffers": stores}],
            "run": {
                "horizon": f"{DAYS}d",
                "warmup": f"{WARMUP_DAYS}d",
                "quality": False,
                "demand": "capacity",
            },
        }
    )


def twin_line(seed: int) -> float:
    """Rolls per hour of the twin's run of the line."""
    scenario = line_scenario()
    record = run_replication(scenario, RunOptions.of(scenario, seed=seed))
    return record.plant.output_rolls_per_h


INTERPRETED = """
import json, sys, time
sys.path.insert(0, ".")
from benchmarks.bench_line import twin_line
started = time.process_time()
rate = twin_line(int(sys.argv[1]))
print(json.dumps({"cpu_s": time.process_time() - started, "rate": rate}))
"""


def twin_interpreted(seed: int) -> tuple[float, float]:
    """The twin's run with the engine interpreted, in a fresh process: rolls/h, CPU s."""
    env = {**os.environ, "R2R_INTERPRETED": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", INTERPRETED, str(seed)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    return float(figures["rate"]), float(figures["cpu_s"])


def timed(model: Callable[[int], float]) -> Callable[[int], tuple[float, float]]:
    """``model`` run in this process: its rolls/h and the CPU it took."""

    def run(seed: int) -> tuple[float, float]:
        started = time.process_time()
        rate = model(seed)
        return rate, time.process_time() - started

    return run


def models() -> dict[str, Callable[[int], tuple[float, float]]]:
    """The models to compare, by name (those whose package is installed): rolls/h and CPU s."""
    found: dict[str, Callable[[int], tuple[float, float]]] = {
        "twin": timed(twin_line),
        "plain SimPy": timed(lambda seed: simpy_line(DAYS, WARMUP_DAYS, seed)),
    }
    if engine().compiled:
        found["twin interp."] = twin_interpreted
    if importlib.util.find_spec("salabim"):
        found["salabim"] = timed(lambda seed: salabim_line(DAYS, WARMUP_DAYS, seed))
    if importlib.util.find_spec("ciw"):
        found["ciw"] = timed(lambda seed: ciw_line(DAYS, WARMUP_DAYS, seed))
    return found


def interval(values: list[float]) -> tuple[float, float]:
    """The 95 % confidence interval of the mean of ``values`` (Student's t)."""
    mean = statistics.mean(values)
    if len(values) < 2:
        return mean, mean
    half = stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / len(values) ** 0.5
    return mean - half, mean + half


def main() -> None:
    """Alternate the models for some rounds; print CPU ratios, throughputs and the targets.

    Targets (issue 12): the twin's CPU at most 1.5× the plain SimPy model's, salabim's and ciw's
    at least twice the twin's, each model's throughput interval overlapping the twin's.
    """
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"== 5-station roll-coupled line, {DAYS} d: {os.cpu_count()} cores, load {load}")
    runs = models()
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    output: dict[str, list[float]] = {name: [] for name in runs}
    print(f"   the twin's engine here: {engine().label()}")
    for seed in range(1, rounds + 1):
        for name, model in runs.items():
            rate, seconds = model(seed)
            output[name].append(rate)
            cpu[name].append(seconds)
    twin = statistics.median(cpu["twin"])
    twin_low, twin_high = interval(output["twin"])
    for name in runs:
        median = statistics.median(cpu[name])
        low, high = interval(output[name])
        print(
            f"  {name:<12} CPU {median:6.3f} s (median of {rounds}), twin / this "
            f"{twin / median:5.2f}×; {statistics.mean(output[name]):.3f} rolls/h "
            f"[95 % CI {low:.3f}, {high:.3f}] over {rounds} seeds"
        )
        if name in ("twin", "twin interp."):
            continue
        overlap = low <= twin_high and twin_low <= high
        agree = "intervals overlap" if overlap else "intervals apart"
        if name == "plain SimPy":
            ratio = twin / median
            what, goal, met = f"twin / {name}", "≤ 1.5×", ratio <= 1.5
        else:
            ratio = median / twin
            what, goal, met = f"{name} / twin", "≥ 2×", ratio >= 2
        target(
            "issue 12",
            f"5-station line, CPU {what}; throughputs' 95 % intervals",
            f"{goal}, overlap",
            f"{ratio:.2f}×, {agree}",
            met and overlap,
        )
    for name in ("salabim", "ciw"):
        if name not in runs:
            target(
                "issue 12",
                f"5-station line, CPU {name} / twin",
                "≥ 2×",
                f"not measured ({name} not installed: pip install -e '.[bench]')",
                False,
            )


if __name__ == "__main__":
    main()
