"""Quality KPIs summed as rolls finish: good area, yields, escapes, Ah and scrap by cause.

Figures are kept for the plant, each line and each product on a line (a *group*), over the rolls
finished after the warm-up; a roll scrapped for air exposure after the warm-up counts as started
and not good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.engine.quality.defects import CAUSES
from twin.engine.quality.evaluation import Evaluation

Group = tuple[str | None, str | None]
"""(line, product): ``None`` for all of them."""


@dataclass(slots=True)
class GroupTotals:
    """Sums over a group's rolls finished after the warm-up (areas m², escape area mm²)."""

    finished_m2: float = 0.0
    good_m2: float = 0.0
    good_first_pass_m2: float = 0.0
    ah: float = 0.0
    escapes: float = 0.0
    escape_area_mm2: float = 0.0
    exposed_m2: float = 0.0
    """Air-exposed rolls scrapped after the warm-up."""


class QualityTally:
    """Quality outcomes of the finished rolls, added block by block as they are evaluated."""

    def __init__(self, groups: Sequence[Group], warmup: float, ah_per_m2: dict[str, float]):
        self.totals = {group: GroupTotals() for group in groups}
        self.warmup = warmup
        self.ah_per_m2 = ah_per_m2
        self.scrap_m2 = {"edge_trim": 0.0, "downgraded": 0.0}
        self.cut_by_cause_m2 = np.zeros(len(CAUSES))

    def add(self, rolls: Sequence[Any], evaluation: Evaluation) -> None:
        """Add a block of evaluated rolls."""
        done = np.array([r.finished_at >= self.warmup for r in rolls], dtype=bool)
        first = np.array([r.reworks == 0 for r in rolls], dtype=bool)
        ah = np.array([self.ah_per_m2[r.product] for r in rolls])
        lines = np.array([r.line for r in rolls])
        products = np.array([r.product for r in rolls])
        good = evaluation.good_m2
        for (line, product), totals in self.totals.items():
            mask = done.copy()
            if line is not None:
                mask &= lines == line
            if product is not None:
                mask &= products == product
            totals.finished_m2 += float(evaluation.started_m2[mask].sum())
            totals.good_m2 += float(good[mask].sum())
            totals.good_first_pass_m2 += float(good[mask & first].sum())
            totals.ah += float((good * ah)[mask].sum())
            totals.escapes += float(evaluation.escapes[mask].sum())
            totals.escape_area_mm2 += float(evaluation.escape_area_mm2[mask].sum())
        self.scrap_m2["edge_trim"] += float(evaluation.edge_trim_m2[done].sum())
        self.scrap_m2["downgraded"] += float(evaluation.downgraded_m2[done].sum())
        self.cut_by_cause_m2 += evaluation.cut_by_cause_m2[done].sum(axis=0)

    def expose(self, line: str, product: str, area_m2: float, when: float) -> None:
        """A roll of ``area_m2`` was scrapped for waiting too long, at ``when``."""
        if when < self.warmup:
            return
        for (group_line, group_product), totals in self.totals.items():
            if group_line in (None, line) and group_product in (None, product):
                totals.exposed_m2 += area_m2

    def figures(self, group: Group, span_h: float) -> dict[str, float]:
        """The group's quality KPIs, by the names of :class:`~twin.engine.records.OutputFigures`."""
        totals = self.totals[group]
        good = totals.good_m2
        started = totals.finished_m2 + totals.exposed_m2
        figures = {"good_m2_per_h": good / span_h, "ah_per_h": totals.ah / span_h}
        if started > 0:
            figures["yield_"] = good / started
            figures["first_pass_yield"] = totals.good_first_pass_m2 / started
        if good > 0:
            figures["escapes_ppm"] = totals.escape_area_mm2 / good
            figures["escapes_per_1000_m2"] = totals.escapes / good * 1000
        return figures

    def quality_factor(self, line: str) -> float:
        """Good m² / m² finished on ``line``: the Q of its stations' OEE."""
        totals = self.totals[(line, None)]
        return totals.good_m2 / totals.finished_m2 if totals.finished_m2 > 0 else 1.0

    def scrap(self) -> dict[str, float]:
        """Scrap area by cause over the measured period (causes with none left out)."""
        scrap = dict(self.scrap_m2)
        scrap["air_exposure"] = self.totals[(None, None)].exposed_m2
        for cause, value in zip(CAUSES, self.cut_by_cause_m2, strict=True):
            scrap[cause] = scrap.get(cause, 0.0) + float(value)
        return {cause: value for cause, value in scrap.items() if value > 0}
