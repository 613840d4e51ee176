"""A study's specification: its factors, design, replications, horizon and KPIs."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from stations import Duration, PositiveDuration
from twin.engine import RunOptions
from twin.scenario import Problem, Scenario, ScenarioError
from twin.study.checks import check_study
from twin.study.kpis import default_kpis

MAX_DESIGN_POINTS = 10_000
"""Most design points a study may have."""


Bound = Annotated[int | float, Field(ge=-1e15, le=1e15)]
"""A bound of a factor's range: finite, and within ±10^15."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Level(_Spec):
    """A named level of a factor: a set of changes to the scenario, by path."""

    name: str = Field(min_length=1, max_length=64, description="The level's name, e.g. 'base'.")
    changes: dict[str, Any] = Field(
        default={}, description="Values by path, e.g. {'lines[INL1].stations[PC1].units': 2}."
    )


class Factor(_Spec):
    """What a study varies: a value in the scenario (at one path or several), or named levels.

    A factor sets its ``values`` (or a ``range``) at ``path``, or at every one of ``paths`` at
    once (all three accumulators of a line, say). A ``range`` is sampled by a Latin hypercube, or
    cut into ``levels`` evenly spaced values for the grid designs; a range whose bounds are both
    whole numbers gives whole numbers. Instead, ``levels`` may list named levels, each a set of
    changes ("base", "5 sources", "third coater").
    """

    path: str | None = Field(
        default=None,
        min_length=1,
        description="Path into the scenario, by position or id: 'lines[INL1].stations[PC1].units'.",
    )
    paths: list[str] | None = Field(
        default=None, min_length=1, max_length=50, description="Paths that take the same value."
    )
    name: str | None = Field(default=None, max_length=64, description="Column label (the path).")
    values: list[Any] | None = Field(default=None, min_length=1, max_length=1000)
    range: tuple[Bound, Bound] | None = Field(
        default=None, description="[low, high], both included."
    )
    levels: Annotated[int, Field(ge=2, le=1000)] | list[Level] | None = Field(
        default=None,
        description="Evenly spaced values of a range (grid designs), or a list of named levels.",
    )
    integer: bool | None = Field(
        default=None, description="Round sampled values (default: when both bounds are integers)."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        if isinstance(self.levels, list):
            if self.path or self.paths or self.values is not None or self.range is not None:
                raise ValueError("named levels carry their own changes: no path, values or range")
            if not self.name:
                raise ValueError("a factor of named levels needs a name")
            names = [level.name for level in self.levels]
            if len(set(names)) != len(names):
                raise ValueError("named levels must have different names")
            return self
        if (self.path is None) == (self.paths is None):
            raise ValueError("give either a path or a list of paths")
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values or a range [low, high]")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError("the range's low bound must be below its high bound")
        if self.levels is not None and self.range is None:
            raise ValueError("levels go with a range")
        return self

    @property
    def named_levels(self) -> list[Level] | None:
        """The named levels, for a factor of named levels."""
        return self.levels if isinstance(self.levels, list) else None

    @property
    def targets(self) -> list[str]:
        """The paths this factor sets (for named levels, every path any level changes)."""
        if self.named_levels is not None:
            return list(dict.fromkeys(p for level in self.named_levels for p in level.changes))
        return [self.path] if self.path is not None else list(self.paths or [])

    def changes(self, value: Any) -> dict[str, Any]:
        """The changes to the scenario that put this factor at ``value`` (a level's name)."""
        if self.named_levels is not None:
            return dict(next(lv.changes for lv in self.named_levels if lv.name == value))
        return dict.fromkeys(self.targets, value)

    @property
    def label(self) -> str:
        """The factor's column name: its name, or its (first) path."""
        if self.name:
            return self.name
        return self.targets[0] + (" …" if len(self.targets) > 1 else "")

    @property
    def whole(self) -> bool:
        """Whether sampled values are rounded to whole numbers."""
        if self.integer is not None:
            return self.integer
        return self.range is not None and all(isinstance(b, int) for b in self.range)

    def grid(self) -> list[Any]:
        """The values a grid design uses: the values, ``levels`` across the range, or the names."""
        if self.named_levels is not None:
            return [level.name for level in self.named_levels]
        if self.values is not None:
            return list(self.values)
        assert self.range is not None and isinstance(self.levels, int)
        points = np.linspace(self.range[0], self.range[1], self.levels)
        return list(dict.fromkeys(self.convert(float(x)) for x in points))

    def convert(self, value: float) -> int | float:
        """A sampled value as the scenario takes it: rounded for a whole-number factor."""
        return math.floor(value + 0.5) if self.whole else value


class Design(_Spec):
    """How design points are made from the factors."""

    kind: Literal["full_factorial", "one_at_a_time", "latin_hypercube"] = Field(
        default="full_factorial",
        description="Every combination; each factor alone with the others at their base value; "
        "or a Latin hypercube sample of the ranges.",
    )
    samples: int | None = Field(default=None, ge=1, le=MAX_DESIGN_POINTS)
    seed: int | None = Field(default=None, ge=0, description="Sampling seed (the study's).")

    @model_validator(mode="after")
    def _samples(self) -> Design:
        if (self.samples is not None) != (self.kind == "latin_hypercube"):
            raise ValueError("samples are needed by, and only by, a latin_hypercube design")
        return self


def design_points(
    factors: Sequence[Factor], design: Design, base: Sequence[Any], seed: int
) -> list[tuple[Any, ...]]:
    """The design points: one tuple of factor values each, in a fixed order.

    ``base`` holds each factor's value in the base scenario (for one-at-a-time designs).
    """
    if design.kind == "full_factorial":
        return list(itertools.product(*(factor.grid() for factor in factors)))
    if design.kind == "one_at_a_time":
        points = [tuple(base)]
        for index, factor in enumerate(factors):
            for value in factor.grid():
                point = (*base[:index], value, *base[index + 1 :])
                if point not in points:
                    points.append(point)
        return points
    assert design.samples is not None
    count = design.samples
    rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed if design.seed is None else design.seed, 17]))
    )
    columns = []
    for factor in factors:
        assert factor.range is not None
        low, high = factor.range
        if factor.whole:  # each whole number gets an equal share of [low - 1/2, high + 1/2)
            low, high = low - 0.5, high + 0.5
        strata = (rng.permutation(count) + rng.random(count)) / count
        values = [factor.convert(low + u * (high - low)) for u in strata]
        if factor.whole:
            values = [min(max(v, factor.range[0]), factor.range[1]) for v in values]
        columns.append(values)
    return list(zip(*columns, strict=True)) if columns else [()]


class StudySpec(_Spec):
    """A capacity study: base scenario, factors, design, replications, horizon and KPIs.

    In a study file ``scenario`` is a path (relative to the file) or the scenario inline; in
    Python it is a :class:`~twin.scenario.Scenario`. Unset run settings are the scenario's.
    """

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    scenario: Scenario
    factors: list[Factor] = Field(default=[], max_length=20)
    design: Design = Field(default_factory=Design)
    demand: Literal["orders", "capacity"] | None = Field(
        default=None,
        description="The question each design point answers: 'capacity' (every line kept "
        "supplied: what can the plant make?) or 'orders' (the order book: will it ship?); "
        "default: the scenario's run.demand.",
    )
    replications: int | None = Field(default=None, ge=1, le=10_000)
    horizon: PositiveDuration | None = None
    warmup: Duration | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    kpis: list[str] | None = Field(default=None, min_length=1, max_length=200)
    objective: str | None = Field(default=None, description="KPI that picks the best point.")
    maximise: bool | None = Field(default=None, description="Default: from the KPI's meaning.")

    @field_validator("design", mode="before")
    @classmethod
    def _design_by_name(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> StudySpec:
        problems = list(
            check_study(
                self.scenario,
                list(enumerate(self.factors)),
                self.design,
                self.kpis,
                self.objective,
            )
        )
        try:
            self.options()
        except ValueError as error:
            problems.append(Problem("warmup", str(error)))
        if problems:
            raise ScenarioError(problems)
        return self

    def options(self) -> RunOptions:
        """How every design point runs: the scenario's settings with the study's overrides."""
        return RunOptions.of(
            self.scenario,
            demand=self.demand,
            horizon_min=self.horizon,
            warmup_min=self.warmup,
            replications=self.replications,
            seed=self.seed,
        )

    @property
    def run_replications(self) -> int:
        """Replications of each design point."""
        return self.options().replications

    @property
    def run_seed(self) -> int:
        """The seed every design point runs with."""
        return self.options().seed

    @property
    def horizon_min(self) -> float:
        """Simulated time of each replication, minutes."""
        return self.options().horizon_min

    @property
    def warmup_min(self) -> float:
        """Time discarded from statistics, minutes (at most half an overridden horizon)."""
        return self.options().warmup_min

    @property
    def kpi_names(self) -> list[str]:
        """The KPIs reported: those asked for, or :func:`default_kpis`."""
        return list(self.kpis) if self.kpis else default_kpis(self.scenario)

    @property
    def objective_kpi(self) -> str:
        """The KPI that picks the best design point (the first KPI unless given)."""
        return self.objective or self.kpi_names[0]

    def with_changes(self, changes: dict[str, Any]) -> StudySpec:
        """A checked copy with fields replaced, e.g. ``{"replications": 3, "horizon": "2d"}``."""
        return StudySpec.model_validate({**dict(self), **changes})

    def document(self) -> dict[str, Any]:
        """The JSON form, with the base scenario inline (what the store keeps)."""
        document: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return document
