"""Stations, the buffers between them (roll stores and accumulators) and the lines they form."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from stations import DefectType, EquipmentSpec, PositiveDuration
from twin.scenario.fields import Identifier, Model
from twin.scenario.upkeep import CalendarMaintenance, Failure, Maintenance, UsageMaintenance


class Inspection(Model):
    """An inline inspection point after a station: detects defects and marks them on the roll."""

    detection: dict[DefectType, Annotated[float, Field(ge=0, le=1)]] = Field(
        default={t: 0.9 for t in DefectType},
        description="Probability of detecting each defect type (default 0.9 for every type).",
    )
    false_alarms_per_m2: float = Field(
        default=0.001, ge=0, le=100, description="False alarms marked per m² inspected."
    )


class Station(Model):
    """A station on a line: its equipment, how many identical units, failures and maintenance."""

    id: Identifier
    name: str | None = Field(default=None, max_length=120, description="Display name.")
    equipment: EquipmentSpec = Field(description="The equipment, tagged by its type.")
    units: int = Field(
        default=1,
        ge=1,
        le=20,
        description="Identical tools in parallel; more than one only between two roll stores.",
    )
    failures: list[Failure] = Field(default=[], max_length=20, description="Failure modes.")
    maintenance: list[Maintenance] = Field(
        default=[], max_length=20, description="Planned maintenance, calendar- or usage-based."
    )
    inspection: Inspection | None = Field(
        default=None, description="An inline inspection point at the station's exit."
    )

    def usage_maintenance(self) -> list[UsageMaintenance]:
        """The maintenance tasks triggered by a usage counter."""
        return [task for task in self.maintenance if isinstance(task, UsageMaintenance)]

    def calendar_maintenance(self) -> list[CalendarMaintenance]:
        """The maintenance tasks on a fixed calendar interval."""
        return [task for task in self.maintenance if isinstance(task, CalendarMaintenance)]

    def availability(self) -> float:
        """Long-run fraction of working time not lost to failures: 1 / (1 + Σ MTTR_i / MTBF_i).

        With operation-dependent failures this is MTBF / (MTBF + MTTR) for one mode.
        """
        return 1.0 / (1.0 + sum(f.ttr.mean() / f.ttf.mean() for f in self.failures))


class RollStore(Model):
    """A store of rolls between two roll-coupled tools (000, Fig. 9A)."""

    kind: Literal["roll_store"] = "roll_store"
    id: Identifier
    between: tuple[Identifier, Identifier] = Field(description="Upstream and downstream station.")
    capacity_rolls: int = Field(ge=1, le=10_000, description="Rolls the store holds.")
    environment: Literal["ambient", "dry_room", "inert", "vacuum"] = Field(
        default="dry_room", description="Atmosphere the rolls wait in (000: low O2, low moisture)."
    )
    max_wait: dict[Identifier, PositiveDuration] = Field(
        default={}, description="Longest a roll of a product may wait here, by product id."
    )
    on_expiry: Literal["scrap", "rework"] = Field(
        default="scrap", description="What happens to a roll that waited too long."
    )


class Accumulator(Model):
    """A web accumulator between two inline stations: a length of web (000, Fig. 9B)."""

    kind: Literal["accumulator"] = "accumulator"
    id: Identifier
    between: tuple[Identifier, Identifier] = Field(description="Upstream and downstream station.")
    capacity_m: float = Field(ge=0, le=100_000, description="Web the accumulator holds, m.")
    initial_m: float = Field(
        default=0.0, ge=0, le=100_000, description="Web in it at the start, m."
    )


Buffer = Annotated[RollStore | Accumulator, Field(discriminator="kind")]


class Line(Model):
    """A line: stations in web order, with a buffer between each consecutive pair."""

    id: Identifier
    name: str | None = Field(default=None, max_length=120, description="Display name.")
    stations: list[Station] = Field(min_length=1, max_length=50, description="In web order.")
    buffers: list[Buffer] = Field(
        default=[], max_length=50, description="A roll store or accumulator per station pair."
    )
    calendar: Identifier | None = Field(
        default=None, description="Shift calendar id; none means around the clock."
    )

    def buffer_after(self, index: int) -> RollStore | Accumulator | None:
        """The buffer between station ``index`` and the next one."""
        if index + 1 >= len(self.stations):
            return None
        pair = (self.stations[index].id, self.stations[index + 1].id)
        return next((b for b in self.buffers if tuple(b.between) == pair), None)

    def store_after(self, station: Station) -> RollStore:
        """The roll store after ``station`` (which ends a segment and is not the last)."""
        buffer = self.buffer_after(self.stations.index(station))
        assert isinstance(buffer, RollStore)
        return buffer

    def accumulators_in(self, segment: list[Station]) -> list[Accumulator]:
        """The accumulators between the stations of an inline ``segment``, in web order."""
        found = []
        for station in segment[:-1]:
            buffer = self.buffer_after(self.stations.index(station))
            assert isinstance(buffer, Accumulator)
            found.append(buffer)
        return found

    def segments(self) -> list[list[Station]]:
        """Inline segments: runs of stations joined by accumulators, split at roll stores."""
        segments: list[list[Station]] = [[self.stations[0]]]
        for index, station in enumerate(self.stations[1:]):
            if isinstance(self.buffer_after(index), Accumulator):
                segments[-1].append(station)
            else:
                segments.append([station])
        return segments
