"""Record every KPI of a 30-day, 5-replication run of the bundled scenarios (issue 12).

Run once before a refactor: ``python -m tests.reference.record_kpis``. The file it writes,
``tests/data/kpi_reference.json``, is what ``tests/test_kpi_reference.py`` compares against, so a
change that keeps behaviour keeps every number identical. A change that moves a KPI on purpose
records the file again and says why in its commit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "data" / "kpi_reference.json"
SCENARIOS = [
    "scenarios/baseline.yaml",
    "scenarios/baseline.yaml --capacity",
    "scenarios/baseline_extra_pecvd_source.yaml",
    "scenarios/validation/inline_pecvd_ald.yaml",
    "scenarios/validation/roll_coupled_three_tools.yaml",
    "scenarios/validation/two_station_fluid.yaml",
    "scenarios/validation/two_station_rolls.yaml",
]
"""Each scenario's own run (an order book, or a capacity run), and the baseline's capacity run."""
HORIZON_MIN = 30 * 1440.0
REPLICATIONS = 5


def record() -> dict[str, Any]:
    """Each scenario's replications: every metric, each order's completion, bottleneck shares."""
    from twin.engine import RunOptions, run_replication
    from twin.scenario import load_scenario

    document: dict[str, Any] = {}
    for name in SCENARIOS:
        path, _, flag = name.partition(" ")
        scenario = load_scenario(ROOT / path)
        demand = "capacity" if flag == "--capacity" else None
        options = RunOptions.of(scenario, horizon_min=HORIZON_MIN, demand=demand)
        runs = []
        for replication in range(REPLICATIONS):
            record = run_replication(scenario, options, replication)
            runs.append(
                {
                    "metrics": record.flatten(),
                    "orders": {k: v.completion_min for k, v in record.orders.items()},
                    "bottleneck": record.bottleneck,
                }
            )
        document[name] = runs
    return document


if __name__ == "__main__":
    REFERENCE.write_text(json.dumps(record(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE}")
