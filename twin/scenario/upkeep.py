"""How stations fail and are maintained: failure modes, calendar and usage-based maintenance."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from stations import Distribution, Duration, PositiveDuration
from twin.scenario.fields import Model


class Failure(Model):
    """A failure mode: operating time between failures and time to repair."""

    name: str = Field(default="failure", max_length=80, description="What fails.")
    ttf: Distribution = Field(
        description="Operating time to failure, minutes (runs only while the station works)."
    )
    ttr: Distribution = Field(description="Time to repair once an operator is there, minutes.")
    needs_crew: bool = Field(default=True, description="A repair needs an operator.")


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
