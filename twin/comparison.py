"""Comparing scenarios: the same seeds for all, each difference to the first with its interval.

``compare`` runs every scenario (or takes a stored run) under common random numbers: one seed
and one number of replications for all, so replication ``r`` of every scenario meets the same
failures wherever their stations are the same, and each difference to the first scenario is
estimated replication by replication (a paired interval, far narrower than the two runs' own
intervals would give). With more than two scenarios the intervals are Bonferroni-corrected for
the comparisons made per KPI, so "significant" keeps its 95 % meaning across them. Runs that
cannot be paired (stored with other seeds or counts) are compared as independent samples, and
say so.

Which figures are compared follows the question: a capacity run compares sustainable output;
an order-book run compares delivery (on-time share, tardiness, lead time) and what it delivered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from twin.display import kpi_label
from twin.engine import RunOptions, SimulationResult, simulate
from twin.problems import Problem, UsageError
from twin.scenario import Scenario

CAPACITY_KPIS = ("output_m2_per_h", "good_m2_per_h", "output_m_per_h")
"""What a capacity comparison shows, for the plant and for each line."""
DELIVERY_KPIS = ("on_time_fraction", "weighted_tardiness_h", "output_m2_per_h")
"""What an order-book comparison shows for the plant."""
DELIVERY_LINE_KPIS = ("lead_time_h", "output_m2_per_h")
"""What an order-book comparison shows for each line."""
LOWER_IS_BETTER = frozenset({"weighted_tardiness_h", "lead_time_h", "wip_rolls", "scrapped_m"})


@dataclass(frozen=True)
class Difference:
    """One scenario's KPI minus the first scenario's, with its (corrected) interval."""

    mean: float
    low: float
    high: float
    paired: bool
    """Replication by replication (common random numbers), or as independent samples."""

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero."""
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class Row:
    """One KPI of the plant or a line, in every scenario, and each one's difference to the first."""

    scope: str
    """``plant`` or a line id."""
    kpi: str
    """The KPI's name as studies know it (``output_m2_per_h``, ``lines.INL1.lead_time_h``)."""
    values: list[tuple[float, float, float] | None]
    """(mean, low, high) in each scenario; None where it has no value."""
    differences: list[Difference | None]
    """For each scenario after the first."""

    @property
    def label(self) -> str:
        """The KPI with its unit, as people read it."""
        return kpi_label(self.kpi.rsplit(".", 1)[-1])

    def verdict(self, index: int) -> str:
        """``better``, ``worse`` or ``no significant difference`` for scenario ``index`` (>= 1)."""
        difference = self.differences[index - 1]
        if difference is None:
            return "–"
        if not difference.significant:
            return "no significant difference"
        lower = self.kpi.rsplit(".", 1)[-1] in LOWER_IS_BETTER
        return "better" if (difference.mean < 0) == lower else "worse"


@dataclass
class Comparison:
    """Every scenario's headline KPIs, plant and lines, against the first one."""

    names: list[str]
    demand: Literal["orders", "capacity"]
    seed: int
    replications: int
    confidence: float
    """Confidence of each interval after the correction (0.95 for two scenarios)."""
    results: list[SimulationResult]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, scope: str, kpi: str) -> Row:
        """The row of ``kpi`` for ``scope`` (``plant`` or a line)."""
        return next(r for r in self.rows if r.scope == scope and r.kpi.endswith(kpi))

    def document(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "scenarios": self.names,
            "demand": self.demand,
            "seed": self.seed,
            "replications": self.replications,
            "confidence": self.confidence,
            "notes": self.notes,
            "rows": [
                {
                    "scope": r.scope,
                    "kpi": r.kpi,
                    "label": r.label,
                    "values": [
                        None if v is None else {"mean": v[0], "low": v[1], "high": v[2]}
                        for v in r.values
                    ],
                    "differences": [
                        None
                        if d is None
                        else {
                            "mean": d.mean,
                            "low": d.low,
                            "high": d.high,
                            "paired": d.paired,
                            "significant": d.significant,
                            "verdict": r.verdict(k + 1),
                        }
                        for k, d in enumerate(r.differences)
                    ],
                }
                for r in self.rows
            ],
        }


def run_with_common_seeds(
    scenarios: Sequence[Scenario],
    *,
    capacity: bool = False,
    replications: int | None = None,
    days: float | None = None,
    seed: int | None = None,
) -> tuple[list[SimulationResult], list[str]]:
    """Run each scenario under common random numbers; the results and what was chosen.

    Each scenario keeps its own horizon and warm-up unless ``days`` is given; all share the
    question (a capacity run with ``capacity``, else the first scenario's), the seed and the
    number of replications (the first scenario's unless given), so that their replications pair
    up.
    """
    if not scenarios:
        raise UsageError([Problem("SCENARIOS", "give at least two scenarios to compare")])
    first = scenarios[0].run
    shared_seed = first.seed if seed is None else seed
    count = first.replications if replications is None else replications
    notes = [f"every scenario ran with seed {shared_seed} and {count} replication(s)"]
    if seed is None and any(s.run.seed != first.seed for s in scenarios):
        notes.append("the scenarios' own seeds differ: the first one's is used for all")
    demand = "capacity" if capacity else scenarios[0].run.demand
    if any(s.run.demand != demand for s in scenarios):
        notes.append(
            f"every scenario ran as {'a capacity' if demand == 'capacity' else 'an order-book'} run"
        )
    results = []
    for scenario in scenarios:
        options = RunOptions.of(
            scenario,
            demand=demand,
            horizon_min=days * 1440 if days is not None else None,
            replications=count,
            seed=shared_seed,
        )
        results.append(simulate(scenario, options))
    return results, notes


def compare(
    results: Sequence[SimulationResult],
    names: Sequence[str] | None = None,
    notes: Sequence[str] = (),
) -> Comparison:
    """Each result's headline KPIs, plant and lines, and its differences to the first result.

    ``names`` label the scenarios (default: the results' scenario names).
    """
    if len(results) < 2:
        raise UsageError([Problem("SCENARIOS", "give at least two scenarios to compare")])
    demands = {r.demand for r in results}
    if len(demands) > 1:
        problem = "runs of different questions (capacity and order book) cannot be compared"
        raise UsageError([Problem("SCENARIOS", problem)])
    demand = results[0].demand
    comparisons = len(results) - 1
    alpha = 0.05 / comparisons
    comparison = Comparison(
        names=list(names) if names is not None else [r.scenario for r in results],
        demand=demand,
        seed=results[0].seed,
        replications=results[0].replications,
        confidence=1 - alpha,
        results=list(results),
        notes=list(notes),
    )
    if comparisons > 1:
        comparison.notes.append(
            f"{comparisons} comparisons per KPI: each interval is at "
            f"{1 - alpha:.2%} (Bonferroni), so all hold together at 95 %"
        )
    plant_kpis = CAPACITY_KPIS if demand == "capacity" else DELIVERY_KPIS
    line_kpis = CAPACITY_KPIS if demand == "capacity" else DELIVERY_LINE_KPIS
    for kpi in plant_kpis:
        comparison.rows.append(_row("plant", kpi, results, alpha))
    lines = list(dict.fromkeys(line for r in results for line in r.lines))
    for line in lines:
        for kpi in line_kpis:
            comparison.rows.append(_row(line, f"lines.{line}.{kpi}", results, alpha))
    if any(d is not None and not d.paired for r in comparison.rows for d in r.differences):
        comparison.notes.append(
            "some runs had other seeds or replication counts: those differences are between "
            "independent samples (wider intervals), not paired"
        )
    return comparison


def _values(result: SimulationResult, kpi: str) -> list[float]:
    return [v for k in result.replication_kpis if math.isfinite(v := k.get(kpi, math.nan))]


def _row(scope: str, kpi: str, results: Sequence[SimulationResult], alpha: float) -> Row:
    values: list[tuple[float, float, float] | None] = []
    for result in results:
        estimate = _estimate(result, kpi)
        values.append(estimate)
    base = results[0]
    differences = [_difference(base, other, kpi, alpha) for other in results[1:]]
    return Row(scope, kpi, values, differences)


def _estimate(result: SimulationResult, kpi: str) -> tuple[float, float, float] | None:
    if "." not in kpi:
        e = result.kpis.get(kpi)
        return (e.mean, e.ci_low, e.ci_high) if e is not None else None
    line, name = kpi.split(".")[1], kpi.rsplit(".", 1)[-1]
    figure = getattr(result.lines.get(line), name, None) if line in result.lines else None
    if figure is None:
        return None
    return figure.mean, figure.ci_low, figure.ci_high


def _t(alpha: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(1 - alpha / 2, df))


def _difference(
    base: SimulationResult, other: SimulationResult, kpi: str, alpha: float
) -> Difference | None:
    """``other`` minus ``base``: paired when their replications pair up, else independent."""
    first, second = _values(base, kpi), _values(other, kpi)
    if not first or not second:
        return None
    paired = (base.seed, base.replications) == (other.seed, other.replications) and len(
        first
    ) == len(second)
    if paired:
        gaps = np.array(second) - np.array(first)
        mean = float(gaps.mean())
        if len(gaps) < 2:
            return Difference(mean, mean, mean, True)
        half = _t(alpha, len(gaps) - 1) * float(gaps.std(ddof=1)) / math.sqrt(len(gaps))
        return Difference(mean, mean - half, mean + half, True)
    mean = float(np.mean(second) - np.mean(first))
    var = sum(float(np.var(v, ddof=1)) / len(v) if len(v) > 1 else 0.0 for v in (first, second))
    df = max(min(len(first), len(second)) - 1, 1)
    half = _t(alpha, df) * math.sqrt(var)
    return Difference(mean, mean - half, mean + half, False)


__all__ = ["Comparison", "Difference", "Row", "compare", "run_with_common_seeds"]
