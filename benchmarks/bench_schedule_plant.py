"""Scheduling benchmark on the plant (issue 5): the baseline order book, and a rush variant.

For each: time to the first feasible schedule (the best dispatching rule, then CP-SAT's first
improvement), CP-SAT's weighted tardiness and gap to its bound after the time limit, and the
improvement over the best dispatching rule. The rush variant halves every order's lead time
(due − release) so that the order book is congested. Run with ``make bench`` or
``python benchmarks/bench_schedule_plant.py [SECONDS]`` (default 120 s per solve).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin.scenario import Scenario, load_scenario, scenario_from_document  # noqa: E402
from twin.schedule import dispatch, solve  # noqa: E402
from twin.schedule.dispatch import RULES  # noqa: E402
from twin.schedule.plant import build_problem  # noqa: E402


def rush(baseline: Scenario) -> Scenario:
    """The baseline with every order's lead time halved."""
    document = baseline.model_dump(mode="json", by_alias=True, exclude_none=True)
    for order, original in zip(document["orders"], baseline.orders, strict=True):
        release = baseline.minutes(original.release)
        due = baseline.minutes(original.due)
        order["release"] = release
        order["due"] = release + (due - release) / 2
    document["name"] = "baseline, lead times halved"
    return scenario_from_document(document)


def bench(scenario: Scenario, seconds: float) -> None:
    problem = build_problem(scenario).problem
    started = time.perf_counter()
    baselines = {rule: dispatch(problem, rule, objective="weighted_tardiness") for rule in RULES}
    dispatch_s = (time.perf_counter() - started) / len(RULES)
    best_rule, best = min(baselines.items(), key=lambda item: item[1].weighted_tardiness or 0)
    started = time.perf_counter()
    quick = solve(problem, "weighted_tardiness", time_limit_s=10, workers=2, hint=best)
    quick_s = time.perf_counter() - started
    solution = solve(problem, "weighted_tardiness", time_limit_s=seconds, workers=2, hint=best)
    rules = ", ".join(f"{r} {s.weighted_tardiness:.0f}" for r, s in baselines.items())
    rule_value = best.weighted_tardiness or 0.0
    value = solution.weighted_tardiness or 0.0
    improvement = (rule_value - value) / rule_value if rule_value else 0.0
    print(
        f"{scenario.name}: {len(problem.jobs)} roll jobs, {len(problem.machines)} machines\n"
        f"  first feasible: a dispatching rule in {dispatch_s * 1e3:.0f} ms (target <= 10 s); "
        f"CP-SAT with 10 s: {quick.status} {quick.weighted_tardiness:.0f} in {quick_s:.1f} s\n"
        f"  weighted tardiness (weight × minutes): rules {rules}\n"
        f"  CP-SAT after {seconds:g} s: {solution.status}, {value:.0f}, bound "
        f"{solution.bound:.0f}, gap {solution.gap:.1%} (target <= 5 %), {improvement:.0%} below "
        f"the best rule ({best_rule}; target >= 20 %)"
    )


def main() -> None:
    """Run the plant scheduling benchmark."""
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0
    baseline = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    bench(baseline, seconds)
    bench(rush(baseline), seconds)


if __name__ == "__main__":
    main()
