"""The KPIs a study may report, by name, and one replication's values of them."""

from __future__ import annotations

import math
from collections.abc import Sequence

from twin.scenario import Scenario

OUTPUT_KPIS = (
    "output_m2_per_h",
    "output_m_per_h",
    "output_rolls_per_h",
    "good_m2_per_h",
    "yield",
    "first_pass_yield",
    "ah_per_h",
    "escapes_ppm",
    "escapes_per_1000_m2",
)
"""Output and quality KPIs, of the plant and of each line."""
PLANT_KPIS = (*OUTPUT_KPIS, "on_time_fraction", "weighted_tardiness_h")
"""Plant-wide KPIs, by the names ``ReplicationResult.metrics`` gives them after ``kpis.``."""
LINE_KPIS = (*OUTPUT_KPIS, "wip_rolls", "lead_time_h", "scrapped_m")
"""KPIs of each line, named ``lines.<line>.<kpi>``."""
_QUALITY = {"good_m2_per_h", "yield", "first_pass_yield", "ah_per_h", "escapes_ppm"}


def available_kpis(scenario: Scenario) -> list[str]:
    """Every KPI a study of ``scenario`` may report.

    Plant KPIs by their short name; ``lines.<line>.<kpi>``; ``stations.<station>.oee``;
    ``bottleneck.<station>`` (share of time it was the momentary bottleneck); and
    ``buffers.<buffer>.mean_level`` (rolls in a store, metres in an accumulator).
    """
    names = list(PLANT_KPIS)
    for line in scenario.lines:
        names += [f"lines.{line.id}.{kpi}" for kpi in LINE_KPIS]
    for line in scenario.lines:
        for station in line.stations:
            names += [f"stations.{station.id}.oee", f"bottleneck.{station.id}"]
    for line in scenario.lines:
        names += [f"buffers.{buffer.id}.mean_level" for buffer in line.buffers]
    return names


def default_kpis(scenario: Scenario) -> list[str]:
    """Plant output, good output, yield, weighted tardiness; each line's output, WIP, lead time."""
    quality = scenario.run.quality
    names = [
        k for k in ("output_m2_per_h", "good_m2_per_h", "yield") if quality or k not in _QUALITY
    ]
    names.append("weighted_tardiness_h")
    for line in scenario.lines:
        names += [
            f"lines.{line.id}.{kpi}" for kpi in ("output_m2_per_h", "wip_rolls", "lead_time_h")
        ]
    return names


def kpi_values(
    metrics: dict[str, float], shares: dict[str, float], kpis: Sequence[str]
) -> dict[str, float]:
    """The study KPIs of one replication (NaN where the replication has no value)."""
    values = {}
    for kpi in kpis:
        if kpi.startswith("bottleneck."):
            values[kpi] = shares.get(kpi.removeprefix("bottleneck."), 0.0)
        else:
            key = kpi if "." in kpi else f"kpis.{kpi}"
            values[kpi] = float(metrics.get(key, math.nan))
    return values
