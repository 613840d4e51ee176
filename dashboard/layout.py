"""Where each part of the plant is drawn: lines as rows, stations and buffers in web order.

A :class:`PlantLayout` is made from a scenario alone. Each line is a row; along it stand its
stations (boxes, one slot per parallel unit) with the buffer between each pair: an accumulator
where the web runs inline from one station to the next, a roll store where rolls are carried.
Positions are in the diagram's own units: station ``i`` of a line at ``x = 2 i``, the buffer
after it at ``x = 2 i + 1``, line ``k`` at ``y = -k``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from twin import Scenario
from twin.scenario import RollStore

STATION_WIDTH = 1.25
STATION_HEIGHT = 0.52
BUFFER_WIDTH = 0.5
STORE_HEIGHT = 0.36
ACCUMULATOR_HEIGHT = 0.09


def unit_names(station_id: str, units: int) -> list[str]:
    """A station's units as event logs and state files name them: ``PC1``, or ``PC2#1``, ..."""
    return [station_id] if units == 1 else [f"{station_id}#{k + 1}" for k in range(units)]


@dataclass(frozen=True)
class StationBox:
    """A station on the diagram: its id, type, units and where it stands."""

    line: str
    id: str
    kind: str
    """The equipment type (pecvd, ald, ...)."""
    units: tuple[str, ...]
    x: float
    y: float
    name: str = ""

    def unit_centre(self, unit: str) -> tuple[float, float]:
        """Where a unit's slot is: the station's box cut into equal slots, top to bottom."""
        index = self.units.index(unit)
        height = STATION_HEIGHT / len(self.units)
        top = self.y + STATION_HEIGHT / 2
        return self.x, top - height * (index + 0.5)


@dataclass(frozen=True)
class BufferBox:
    """A roll store (rolls) or an accumulator (metres of web) between two stations."""

    line: str
    id: str
    kind: Literal["roll_store", "accumulator"]
    capacity: float
    """Rolls a store holds, metres an accumulator holds."""
    x: float
    y: float
    between: tuple[str, str]
    max_wait_min: dict[str, float] = field(default_factory=dict)
    """A store's waiting limit per product, minutes."""

    @property
    def unit(self) -> str:
        """What its level counts: ``rolls`` or ``m``."""
        return "rolls" if self.kind == "roll_store" else "m"


@dataclass(frozen=True)
class LineRow:
    """A line on the diagram: its stations and buffers in web order."""

    id: str
    name: str
    y: float
    stations: tuple[StationBox, ...]
    buffers: tuple[BufferBox, ...]


@dataclass(frozen=True)
class PlantLayout:
    """Every line of a scenario, each in web order, ready to be drawn."""

    lines: tuple[LineRow, ...]

    @classmethod
    def of(cls, scenario: Scenario) -> PlantLayout:
        """The layout of ``scenario``'s lines."""
        rows = []
        for k, line in enumerate(scenario.lines):
            y = -float(k)
            stations = tuple(
                StationBox(
                    line.id,
                    station.id,
                    station.equipment.type,
                    tuple(unit_names(station.id, station.units)),
                    2.0 * i,
                    y,
                    station.name or "",
                )
                for i, station in enumerate(line.stations)
            )
            buffers = []
            for i in range(len(line.stations) - 1):
                buffer = line.buffer_after(i)
                if buffer is None:
                    continue
                if isinstance(buffer, RollStore):
                    capacity, waits = float(buffer.capacity_rolls), dict(buffer.max_wait)
                else:
                    capacity, waits = float(buffer.capacity_m), {}
                buffers.append(
                    BufferBox(
                        line.id,
                        buffer.id,
                        buffer.kind,
                        capacity,
                        2.0 * i + 1,
                        y,
                        (line.stations[i].id, line.stations[i + 1].id),
                        waits,
                    )
                )
            rows.append(LineRow(line.id, line.name or "", y, stations, tuple(buffers)))
        return cls(tuple(rows))

    @property
    def stations(self) -> dict[str, StationBox]:
        """Every station by id."""
        return {s.id: s for line in self.lines for s in line.stations}

    @property
    def buffers(self) -> dict[str, BufferBox]:
        """Every store and accumulator by id."""
        return {b.id: b for line in self.lines for b in line.buffers}

    @property
    def units(self) -> dict[str, StationBox]:
        """Every station unit by its name, with its station."""
        return {unit: s for s in self.stations.values() for unit in s.units}

    @property
    def width(self) -> float:
        """The x extent of the longest line."""
        return max((2.0 * (len(line.stations) - 1) for line in self.lines), default=0.0)
