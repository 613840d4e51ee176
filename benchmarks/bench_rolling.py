"""Re-planning benchmark (issue 15): the baseline over 28 days, four policies, five replications.

The policies are the default four of ``r2r rolling`` (dispatching rules only, one static
schedule, a new schedule every day, and event-driven re-planning after a failure of 2 h or an
order at half its slack), each plan with 5 s of CP-SAT on 2 workers, all with common random
numbers. Printed: the wall time, the share of it spent planning, and each policy's KPIs with
their intervals and paired differences to the static schedule (the command's own report).

``R2R_BENCH_ROLLING_DAYS`` and ``R2R_BENCH_ROLLING_REPS`` shorten it for a quick look.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin.engine import RunOptions  # noqa: E402
from twin.rolling import (  # noqa: E402
    DEFAULT_POLICIES,
    FIGURES,
    Planning,
    parse_policy,
    report,
    run_policies,
)
from twin.scenario import load_scenario  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"


def main() -> None:
    """Run the benchmark and print its figures."""
    days = float(os.environ.get("R2R_BENCH_ROLLING_DAYS", "28"))
    replications = int(os.environ.get("R2R_BENCH_ROLLING_REPS", "5"))
    scenario = load_scenario(BASELINE)
    options = RunOptions.of(scenario, horizon_min=days * 1440, replications=replications)
    policies = [parse_policy(p) for p in DEFAULT_POLICIES]
    planning = Planning(time_limit_s=5.0, workers=2)
    began = time.perf_counter()
    runs = run_policies(scenario, options, policies, planning)
    result = report(runs, time.perf_counter() - began)
    print(
        f"baseline, {days:g} days, {replications} replications, {len(policies)} policies, "
        f"{planning.time_limit_s:g} s per plan on {planning.workers} workers"
    )
    print(
        f"  wall {result.wall_s:.0f} s, planning {result.planning_share:.0%} of it "
        f"({sum(len(r.plans) for r in runs)} plans, the one at the start shared)"
    )
    for figure in FIGURES:
        cells = []
        for p in result.policies:
            value = p.estimates.get(figure.key)
            text = (
                "–"
                if value is None
                else f"{value.mean:.3g} [{value.ci_low:.3g}, {value.ci_high:.3g}]"
            )
            difference = p.differences.get(figure.key)
            if difference is not None:
                text += f" (vs static {difference.mean:+.3g} [{difference.ci_low:+.3g}, "
                text += f"{difference.ci_high:+.3g}] {result.verdict(p, figure.key)})"
            cells.append(f"{p.policy.name}: {text}")
        print(f"  {figure.label}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
