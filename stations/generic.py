"""A station given directly by a web speed (fluid) or a per-roll process-time distribution.

For equipment we do not model physically, and for validation lines whose answer theory knows.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from stations.base import Equipment, RecipeStep, StepClass
from stations.distributions import Distribution, Fixed
from stations.units import Duration

MIN_PROCESS_TIME_MIN = 0.01
"""Shortest mean time per roll accepted, minutes: a roll takes some time."""


def _takes_time(distribution: Distribution) -> Distribution:
    if distribution.mean() < MIN_PROCESS_TIME_MIN:
        raise ValueError(
            f"the mean time per roll must be at least {MIN_PROCESS_TIME_MIN:g} min "
            f"(its mean is {distribution.mean():g})"
        )
    return distribution


ProcessTime = Annotated[Distribution, AfterValidator(_takes_time)]
"""A time per roll: a distribution whose mean is at least :data:`MIN_PROCESS_TIME_MIN`."""


class GenericStep(RecipeStep):
    """A step on a generic station; it may override the station's speed or process time."""

    station_type: Literal["generic"] = "generic"
    speed_m_min: float | None = Field(
        default=None, gt=0, le=1000, description="Web speed for this product, m/min (overrides)."
    )
    process_time: ProcessTime | None = Field(
        default=None, description="Process time per roll for this product (overrides)."
    )


class GenericStation(Equipment[GenericStep]):
    """A station defined by a speed or by a process-time distribution per roll."""

    type: Literal["generic"] = "generic"
    step_type: ClassVar[StepClass] = GenericStep

    web_width_m: float = Field(default=2.0, gt=0, le=5, description="Widest web, m.")
    max_speed_m_min: float = Field(default=1000.0, gt=0, le=1000, description="Top speed, m/min.")
    load_thread: Duration = Field(default=0.0, description="Load and thread, minutes.")
    unload: Duration = Field(default=0.0, description="Unload, minutes.")
    speed_m_min: float | None = Field(default=None, gt=0, le=1000, description="Web speed, m/min.")
    process_time: ProcessTime | None = Field(
        default=None, description="Process time per roll (deterministic, exponential, ...)."
    )

    @model_validator(mode="after")
    def _speed_or_time(self) -> GenericStation:
        if (self.speed_m_min is None) == (self.process_time is None):
            raise ValueError("give exactly one of speed_m_min and process_time")
        return self

    def process_speed_m_min(self, step: GenericStep) -> float:
        """The step's or the station's speed, m/min (infinite for a process-time station)."""
        if step.speed_m_min is not None:
            return step.speed_m_min
        if self.speed_m_min is not None and step.process_time is None:
            return self.speed_m_min
        return float("inf")

    def is_fluid(self, step: GenericStep) -> bool:
        """True when the station runs the step at a web speed rather than a time per roll."""
        return step.process_time is None and (
            step.speed_m_min is not None or self.speed_m_min is not None
        )

    def roll_process_time(self, step: GenericStep, length_m: float) -> Distribution:
        """The process time per roll: the step's or station's distribution, or length / speed."""
        if step.process_time is not None:
            return step.process_time
        if self.is_fluid(step):
            # a derived time, not input: a crawling speed may give one past any input's bound
            return Fixed.model_construct(value=length_m / self.web_speed_m_min(step))
        assert self.process_time is not None
        return self.process_time
