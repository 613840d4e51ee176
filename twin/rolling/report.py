"""What re-planning is worth: each policy's figures over the replications, paired differences.

Every policy runs the same replications with the same random numbers, so a policy's difference
to the reference policy (the static schedule when it is among them) is taken replication by
replication, and its 95 % interval is that of the paired differences.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twin.engine.stats import Estimate
from twin.rolling.policies import Policy
from twin.rolling.run import PolicyRun


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure the report gives for each policy: its key, label, and which way is better."""

    key: str
    label: str
    better: int
    """+1: more is better; -1: less is better; 0: neither (a cost shown for information)."""
    value: Callable[[PolicyRun], float | None]


def _lead_time_h(run: PolicyRun) -> float | None:
    """Mean roll lead time over the lines, each line weighted by the rolls it finished."""
    lines = [
        line
        for line in run.record.lines.values()
        if line.output_rolls_per_h > 0 and not math.isnan(line.lead_time_h)
    ]
    rolls = sum(line.output_rolls_per_h for line in lines)
    if not rolls:
        return None
    return sum(line.lead_time_h * line.output_rolls_per_h for line in lines) / rolls


def _output_km(run: PolicyRun) -> float:
    return run.record.plant.output_m_per_h * run.horizon_min / 60 / 1000


def _on_time(run: PolicyRun) -> float | None:
    return run.record.plant.on_time_fraction


def _tardiness(run: PolicyRun) -> float | None:
    return run.record.plant.weighted_tardiness_h


FIGURES = (
    Figure("on_time", "orders on time", +1, _on_time),
    Figure("weighted_tardiness_h", "weighted tardiness h", -1, _tardiness),
    Figure("lead_time_h", "roll lead time h", -1, _lead_time_h),
    Figure("output_km", "output km", +1, _output_km),
    Figure("planning_s", "planning time s", 0, lambda run: run.planning_s),
    Figure("plans", "plans made", 0, lambda run: float(len(run.plans))),
    Figure("nervousness", "nervousness", -1, lambda run: run.nervousness),
)
"""The figures of a policy, in the order reports show them."""


@dataclass(frozen=True, slots=True)
class PolicyFigures:
    """One policy over the replications."""

    policy: Policy
    runs: tuple[PolicyRun, ...]
    estimates: dict[str, Estimate | None]
    differences: dict[str, Estimate | None]
    """Paired differences to the reference policy (empty for the reference itself)."""


@dataclass(frozen=True, slots=True)
class RollingReport:
    """The policies compared, the reference their differences are taken to, and the cost."""

    policies: tuple[PolicyFigures, ...]
    reference: str
    wall_s: float

    @property
    def planning_share(self) -> float:
        """The share of the wall time spent planning."""
        # the plan made at the start is one plan shared by every planning policy: count it once
        plans = {id(plan): plan for p in self.policies for run in p.runs for plan in run.plans}
        planning = sum(plan.seconds for plan in plans.values())
        return planning / self.wall_s if self.wall_s > 0 else math.nan

    def verdict(self, policy: PolicyFigures, key: str) -> str:
        """'better', 'worse' or '' (the interval holds 0, or the figure has no direction)."""
        figure = next(f for f in FIGURES if f.key == key)
        difference = policy.differences.get(key)
        if difference is None or figure.better == 0 or difference.n < 2:
            return ""
        if difference.ci_low > 0:
            return "better" if figure.better > 0 else "worse"
        if difference.ci_high < 0:
            return "worse" if figure.better > 0 else "better"
        return ""


def made_by(runs: Sequence[PolicyRun]) -> str:
    """How a policy's plans were made, counted: 'CP-SAT optimal 3, CP-SAT not proven 18'."""
    kinds: dict[str, int] = {}
    for run in runs:
        for plan in run.plans:
            label = plan.label
            if label.startswith("CP-SAT optimal"):
                kind = "CP-SAT optimal"
            elif label.startswith("CP-SAT"):
                kind = "CP-SAT, not proven optimal"
            elif label.startswith("no schedule"):
                kind = "no plan (tools dispatch by rule)"
            else:
                kind = "a dispatching rule's schedule"
            if "without the frozen window" in label:
                kind += " without the frozen window"
            kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{kind} {count}" for kind, count in kinds.items())


def _estimate(values: Sequence[float | None], *, signed: bool = False) -> Estimate | None:
    kept = [v for v in values if v is not None and math.isfinite(v)]
    return Estimate.of(kept, signed=signed) if kept else None


def report(runs: Sequence[PolicyRun], wall_s: float) -> RollingReport:
    """The report of ``runs`` (every policy over the same replications)."""
    by_policy: dict[str, list[PolicyRun]] = {}
    for run in runs:
        by_policy.setdefault(run.policy.name, []).append(run)
    names = list(by_policy)
    reference = "static" if "static" in by_policy else names[0]
    base = {run.replication: run for run in by_policy[reference]}
    policies = []
    for name in names:
        policy_runs = sorted(by_policy[name], key=lambda run: run.replication)
        estimates = {f.key: _estimate([f.value(run) for run in policy_runs]) for f in FIGURES}
        differences: dict[str, Estimate | None] = {}
        if name != reference:
            for f in FIGURES:
                pairs = [
                    (f.value(run), f.value(base[run.replication]))
                    for run in policy_runs
                    if run.replication in base
                ]
                differences[f.key] = _estimate(
                    [a - b for a, b in pairs if a is not None and b is not None], signed=True
                )
        policies.append(
            PolicyFigures(policy_runs[0].policy, tuple(policy_runs), estimates, differences)
        )
    return RollingReport(tuple(policies), reference, wall_s)


__all__ = ["FIGURES", "Figure", "PolicyFigures", "RollingReport", "made_by", "report"]
