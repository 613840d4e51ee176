"""When lines are staffed (shift calendars) and who serves them (crews)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from twin.scenario.fields import Identifier, Model


class Shift(Model):
    """A shift: start and end time of day; an end before the start crosses midnight."""

    name: str = Field(default="shift", max_length=40, description="Shift name.")
    start: dt.time = Field(description="Start time of day, 'HH:MM'.")
    end: dt.time = Field(description="End time of day, 'HH:MM'.")


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Calendar(Model):
    """When a line is staffed: shifts on working days, less holidays."""

    id: Identifier
    shifts: list[Shift] = Field(
        default=[], max_length=10, description="Shifts per working day; none means all day."
    )
    working_days: list[Weekday] = Field(
        default=list(WEEKDAYS), description="Days the shifts run: mon, tue, ... sun."
    )
    holidays: list[dt.date] = Field(default=[], max_length=1000, description="Days off.")


CrewTask = Literal["repair", "roll_change", "setup", "maintenance"]


class Crew(Model):
    """Operators who serve the stations of some lines."""

    id: Identifier
    size: int = Field(ge=1, le=1000, description="Operators on duty.")
    lines: list[Identifier] | None = Field(
        default=None, description="Lines the crew serves; none means every line."
    )
    tasks: list[CrewTask] = Field(
        default=["repair", "roll_change", "setup", "maintenance"],
        description="Tasks that wait for an operator of this crew.",
    )
