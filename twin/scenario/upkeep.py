"""How stations fail and are maintained: failure modes, calendar and usage-based maintenance."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from stations import Distribution, Duration, PositiveDuration
from twin.scenario.fields import Model

MIN_MEAN_TTF_MIN = 1.0
"""Shortest mean operating time to failure accepted, minutes."""


class Failure(Model):
    """A failure mode: operating time between failures and time to repair."""

    name: str = Field(default="failure", max_length=80, description="What fails.")
    ttf: Distribution = Field(
        description="Operating time to failure, minutes (runs only while the station works)."
    )
    ttr: Distribution = Field(description="Time to repair once an operator is there, minutes.")
    needs_crew: bool = Field(default=True, description="A repair needs an operator.")

    @field_validator("ttf")
    @classmethod
    def _operates(cls, ttf: Distribution) -> Distribution:
        if ttf.mean() < MIN_MEAN_TTF_MIN:
            raise ValueError(
                f"the mean operating time to failure must be at least {MIN_MEAN_TTF_MIN:g} min "
                f"(its mean is {ttf.mean():g}); a station that fails more often does not work"
            )
        return ttf


class CalendarMaintenance(Model):
    """Planned maintenance every fixed interval of calendar time."""

    kind: Literal["calendar"] = "calendar"
    name: str = Field(default="planned maintenance", max_length=80, description="Task name.")
    every: PositiveDuration = Field(description="Interval between starts, minutes (or '7d').")
    duration: PositiveDuration = Field(description="How long the station is down, minutes.")
    first: Duration | None = Field(
        default=None, description="Start of the first one after the run starts (default: every)."
    )
    needs_crew: bool = Field(default=True, description="The task needs an operator.")


class UsageMaintenance(Model):
    """Maintenance after a usage counter reaches a limit, e.g. a PECVD chamber clean."""

    kind: Literal["usage"] = "usage"
    name: str = Field(max_length=80, description="Task name, e.g. 'chamber clean'.")
    counter: str = Field(
        description="The station's usage counter: wall_deposit_um_m (PECVD), lithium_kg "
        "(lithium evaporation), precursor_g (ALD)."
    )
    limit: float = Field(
        gt=0, le=1e12, description="Counter value that triggers the task, counter units."
    )
    duration: PositiveDuration = Field(description="How long the station is down, minutes.")
    needs_crew: bool = Field(default=True, description="The task needs an operator.")


Maintenance = Annotated[CalendarMaintenance | UsageMaintenance, Field(discriminator="kind")]
