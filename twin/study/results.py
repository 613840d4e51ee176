"""A study's results: one row per replication, and per design point the mean and 95 % CI.

:class:`StudyResult` is what ``run_study`` returns and ``Store.study`` reads back. It is built
from the study's plan (factors, KPIs, design points) and its finished replications, sorted by
(design point, replication), so it never depends on which worker finished first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from twin.engine.stats import Estimate
from twin.extras import require
from twin.store import TaskOutcome
from twin.study.selection import Selection, by_point, select_best

if TYPE_CHECKING:
    import plotly.graph_objects as go

MORE_IS_BETTER = frozenset(
    {
        "output_m_per_h",
        "output_m2_per_h",
        "output_rolls_per_h",
        "good_m2_per_h",
        "yield",
        "first_pass_yield",
        "ah_per_h",
        "on_time_fraction",
        "oee",
    }
)
"""KPIs (by their last name part) a planner wants high; every other KPI is better low."""


def maximise_by_default(kpi: str) -> bool:
    """Whether more of ``kpi`` is better: output, yield, OEE, on-time; not WIP or lead time."""
    return kpi.rsplit(".", 1)[-1] in MORE_IS_BETTER


def _top(shares: dict[str, float]) -> str:
    return max(sorted(shares), key=lambda name: shares[name], default="")


class StudyResult:
    """A study's results: :attr:`table` by design point, :attr:`replications` by task.

    ``table`` has one row per design point (index ``point``): the factor columns, then for each
    KPI ``<kpi>`` (mean), ``<kpi>_low`` and ``<kpi>_high`` (95 % Student-t interval over the
    replications), then ``n`` (replications done) and ``bottleneck`` (the station that was most
    often the momentary bottleneck, on average).
    """

    def __init__(
        self,
        study_id: str,
        name: str,
        factors: list[str],
        kpis: list[str],
        points: list[dict[str, Any]],
        outcomes: Sequence[TaskOutcome],
        *,
        objective: str,
        maximise: bool | None = None,
        tasks_total: int | None = None,
    ) -> None:
        self.study_id = study_id
        self.name = name
        self.factors = factors
        self.kpis = kpis
        self.points = points
        self.objective = objective
        self.maximise = maximise
        ordered = sorted(outcomes, key=lambda o: (o.point, o.replication))
        self.tasks_total = tasks_total if tasks_total is not None else len(ordered)
        self.replications = self._replication_frame(ordered)
        self.table = self._summary(ordered)

    @classmethod
    def from_plan(
        cls, study_id: str, name: str, plan: dict[str, Any], outcomes: Sequence[TaskOutcome]
    ) -> StudyResult:
        """Rebuild a result from a stored study plan (see ``StudyPlan.document``)."""
        return cls(
            study_id,
            name,
            plan["factors"],
            plan["kpis"],
            plan["points"],
            outcomes,
            objective=plan["objective"],
            maximise=plan["maximise"],
            tasks_total=len(plan["points"]) * plan["replications"],
        )

    @property
    def tasks_done(self) -> int:
        """Replications finished over all design points."""
        return len(self.replications)

    @property
    def complete(self) -> bool:
        """Whether every (design point, replication) has finished."""
        return self.tasks_done == self.tasks_total

    def _replication_frame(self, outcomes: Sequence[TaskOutcome]) -> pd.DataFrame:
        records = [
            {
                "point": o.point,
                "replication": o.replication,
                **self.points[o.point],
                **{kpi: o.kpis.get(kpi, math.nan) for kpi in self.kpis},
                "bottleneck": _top(o.bottleneck),
            }
            for o in outcomes
        ]
        columns = ["point", "replication", *self.factors, *self.kpis, "bottleneck"]
        return pd.DataFrame.from_records(records, columns=columns)

    def _summary(self, outcomes: Sequence[TaskOutcome]) -> pd.DataFrame:
        by_point: dict[int, list[TaskOutcome]] = {}
        for outcome in outcomes:
            by_point.setdefault(outcome.point, []).append(outcome)
        records = []
        for point, values in enumerate(self.points):
            runs = by_point.get(point, [])
            record: dict[str, Any] = {"point": point, **values}
            for kpi in self.kpis:
                data = [o.kpis.get(kpi, math.nan) for o in runs]
                finite = [v for v in data if not math.isnan(v)]
                estimate = Estimate.of(finite) if finite else None
                record[kpi] = estimate.mean if estimate else math.nan
                record[f"{kpi}_low"] = estimate.ci_low if estimate else math.nan
                record[f"{kpi}_high"] = estimate.ci_high if estimate else math.nan
            shares: dict[str, float] = {}
            for run in runs:
                for station, share in run.bottleneck.items():
                    shares[station] = shares.get(station, 0.0) + share / len(runs)
            record["n"] = len(runs)
            record["bottleneck"] = _top(shares)
            records.append(record)
        columns = ["point", *self.factors]
        columns += [f"{kpi}{end}" for kpi in self.kpis for end in ("", "_low", "_high")]
        frame = pd.DataFrame.from_records(records, columns=[*columns, "n", "bottleneck"])
        return frame.set_index("point")

    def best(self, kpi: str, maximise: bool | None = None) -> pd.Series:
        """The table row of the design point with the best mean ``kpi``.

        ``maximise`` defaults to the KPI's meaning: output and yield up, WIP and lead time down.
        """
        if kpi not in self.kpis:
            raise KeyError(f"{kpi!r} is not a KPI of this study ({', '.join(self.kpis)})")
        up = maximise_by_default(kpi) if maximise is None else maximise
        means = self.table[kpi].dropna()
        if means.empty:
            raise ValueError(f"no finished replication gives {kpi!r}")
        return self.table.loc[means.idxmax() if up else means.idxmin()]

    def best_for_objective(self) -> pd.Series:
        """The design point with the best mean for the study's objective KPI."""
        return self.best(self.objective, self.maximise)

    def decision(self, kpi: str | None = None, maximise: bool | None = None) -> Selection:
        """Every design point that may be the best for ``kpi`` (the objective by default).

        A subset selection on the paired replications (:mod:`twin.study.selection`): with 95 %
        confidence the best point is in the subset; a subset of one decides.
        """
        kpi = kpi or self.objective
        if kpi not in self.kpis:
            raise KeyError(f"{kpi!r} is not a KPI of this study ({', '.join(self.kpis)})")
        if maximise is None:
            maximise = self.maximise if kpi == self.objective else None
        up = maximise_by_default(kpi) if maximise is None else maximise
        rows = self.replications[["point", "replication", kpi]].itertuples(index=False)
        return select_best(by_point([(int(p), int(r), float(v)) for p, r, v in rows]), kpi, up)

    def point_label(self, point: int) -> str:
        """A design point by its factor values: ``point 3 (PC2_units=3, ACC2_m=400)``."""
        values = ", ".join(f"{f}={self.points[point][f]}" for f in self.factors)
        return f"point {point} ({values})" if values else f"point {point} (the base scenario)"

    def long_table(self) -> pd.DataFrame:
        """The summary as a tidy table: one row per (design point, KPI).

        Columns: ``point``, the factors, ``kpi``, ``mean``, ``low``, ``high``, ``n``.
        """
        rows = []
        for point, row in self.table.iterrows():
            for kpi in self.kpis:
                rows.append(
                    {
                        "point": point,
                        **{f: row[f] for f in self.factors},
                        "kpi": kpi,
                        "mean": row[kpi],
                        "low": row[f"{kpi}_low"],
                        "high": row[f"{kpi}_high"],
                        "n": row["n"],
                    }
                )
        columns = ["point", *self.factors, "kpi", "mean", "low", "high", "n"]
        return pd.DataFrame.from_records(rows, columns=columns)

    def figures(self) -> dict[str, go.Figure]:
        """One figure per factor: each KPI's mean against the factor, with 95 % CI error bars.

        Design points that share the other factors' values are joined into one line (labelled
        by those values); where no two points do (a Latin hypercube), the points are scattered.
        """
        require("plotly", "plots", "study plots")
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        figures = {}
        table = self.table
        for factor in self.factors:
            others = [f for f in self.factors if f != factor]
            series: list[tuple[str, pd.DataFrame]] = [("", table)]
            connect = True
            if others:
                groups = [
                    (", ".join(f"{o}={v}" for o, v in zip(others, key, strict=True)), rows)
                    for key, rows in table.groupby(others, sort=True, dropna=False)
                    if rows[factor].nunique() > 1
                ]
                series, connect = (groups, True) if groups else (series, False)
            figure = make_subplots(
                rows=len(self.kpis), cols=1, shared_xaxes=True, subplot_titles=self.kpis
            )
            for row, kpi in enumerate(self.kpis, start=1):
                for label, rows in series:
                    ordered = rows.sort_values(factor)
                    figure.add_trace(
                        go.Scatter(
                            x=ordered[factor],
                            y=ordered[kpi],
                            error_y={
                                "type": "data",
                                "symmetric": False,
                                "array": ordered[f"{kpi}_high"] - ordered[kpi],
                                "arrayminus": ordered[kpi] - ordered[f"{kpi}_low"],
                            },
                            mode="lines+markers" if connect else "markers",
                            name=label or "design points",
                            legendgroup=label,
                            showlegend=row == 1,
                        ),
                        row=row,
                        col=1,
                    )
            figure.update_xaxes(title_text=factor, row=len(self.kpis), col=1)
            figure.update_layout(
                title=f"{self.name}: KPIs against {factor} (mean, 95 % CI)",
                height=max(400, 260 * len(self.kpis)),
            )
            figures[factor] = figure
        return figures
