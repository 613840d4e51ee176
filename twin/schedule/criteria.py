"""What a schedule is judged by: makespan, weighted tardiness, total setup time, and their mixes.

An :class:`Objective` is a weighted sum of criteria to minimise; a :class:`Lexicographic` objective
minimises its stages one after another, each without worsening the ones before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Criterion(StrEnum):
    """A measure of a schedule, to be minimised."""

    MAKESPAN = "makespan"
    """The end of the last operation."""
    WEIGHTED_TARDINESS = "weighted_tardiness"
    """The sum over jobs of weight × max(0, completion − due)."""
    TOTAL_SETUP = "total_setup"
    """The sum of all setup times."""


@dataclass(frozen=True)
class Objective:
    """Minimise a weighted sum, e.g. ``Objective({"makespan": 1, "total_setup": 2})``."""

    weights: Mapping[Criterion, float]

    def __post_init__(self) -> None:
        weights = {Criterion(name): float(weight) for name, weight in self.weights.items()}
        if not weights:
            raise ValueError("an objective needs at least one criterion")
        for name, weight in weights.items():
            if not (math.isfinite(weight) and weight >= 0):
                raise ValueError(f"weight of {name} must be a finite number >= 0, got {weight}")
        object.__setattr__(self, "weights", weights)

    @property
    def name(self) -> str:
        """``makespan`` for a single criterion of weight 1, else ``2*makespan + 1*total_setup``."""
        if len(self.weights) == 1 and next(iter(self.weights.values())) == 1:
            return str(next(iter(self.weights)))
        return " + ".join(f"{weight:g}*{name}" for name, weight in self.weights.items())

    def value(self, measures: Mapping[Criterion, float]) -> float:
        """The objective's value for a schedule whose criteria are ``measures``."""
        return sum(weight * measures[name] for name, weight in self.weights.items())


@dataclass(frozen=True)
class Lexicographic:
    """Minimise ``stages[0]``, then ``stages[1]`` without worsening ``stages[0]``, and so on.

    A stage may be given as a criterion or its name; it is stored as an :class:`Objective`.
    """

    stages: tuple[Objective, ...]

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a lexicographic objective needs at least one stage")
        object.__setattr__(self, "stages", tuple(as_objective(stage) for stage in self.stages))


ObjectiveSpec = str | Criterion | Objective | Lexicographic
"""Anything :func:`stages` accepts: a criterion's name, an objective or a lexicographic list."""


def as_objective(spec: str | Criterion | Objective) -> Objective:
    """An :class:`Objective` from a criterion (or its name) or an objective."""
    if isinstance(spec, Objective):
        return spec
    return Objective({Criterion(spec): 1.0})


def stages(spec: ObjectiveSpec) -> tuple[Objective, ...]:
    """The objectives to minimise in turn for ``spec`` (one, unless it is lexicographic)."""
    if isinstance(spec, Lexicographic):
        return spec.stages
    return (as_objective(spec),)
