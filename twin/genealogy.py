"""Genealogy files: every finished roll of a replication, as ``r2r simulate --genealogy`` writes.

``r2r trace`` reads one back. The file is checked like any input (a regular file, at most
:data:`MAX_GENEALOGY_BYTES`) and validated into :class:`Genealogy`, so a damaged or hostile file
is refused with every problem by its path (``rolls[3].stations[0].start_min: must be a number``)
rather than failing halfway through printing a roll.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from twin.files import read_input
from twin.problems import InputError, Problem
from twin.scenario import validation_problems

MAX_GENEALOGY_BYTES = 200_000_000
"""Largest genealogy file read, bytes (a plant-year of rolls with their defects is ~50 MB)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)


class SegmentPass(_Record):
    """A roll's pass through one segment of its line: the station it left by, and when."""

    exit: str
    start_min: float
    end_min: float


class StationPass(_Record):
    """A roll's time at one station: the recipe step, and the station's condition then."""

    station: str
    step: str
    start_min: float
    end_min: float
    condition: dict[str, float] = {}


class LaneRecord(_Record):
    """A lane roll slit from the roll: its width, good length, cut-outs and verdict."""

    id: str
    width_mm: float
    length_m: float
    cut_m: float
    good: bool
    escapes: int = Field(ge=0)


class DefectRecord(_Record):
    """One defect on the roll: its type, where it was laid and whether inspection marked it."""

    type: str
    station: str | None = None
    marked: bool


class RollRecord(_Record):
    """One finished roll: its order, product, line, size, route and what became of it."""

    id: str
    order: str
    product: str
    line: str
    length_m: float
    width_m: float
    released_min: float
    reworks: int = Field(ge=0)
    segments: list[SegmentPass] = []
    stations: list[StationPass] = []
    lanes: list[LaneRecord] = []
    defects: list[DefectRecord] = []

    def has_id(self, roll_id: str) -> bool:
        """Whether ``roll_id`` names this roll or one of its lane rolls."""
        return self.id == roll_id or any(lane.id == roll_id for lane in self.lanes)


class Genealogy(BaseModel):
    """A genealogy file: the scenario and seed it came from, and its finished rolls."""

    model_config = ConfigDict(extra="allow", frozen=True)

    scenario: str = ""
    seed: int | None = None
    rolls: list[RollRecord]

    def find(self, roll_id: str) -> RollRecord | None:
        """The roll named ``roll_id`` (a roll id or one of its lane roll ids), if any."""
        return next((roll for roll in self.rolls if roll.has_id(roll_id)), None)


def looks_like_genealogy(document: Any) -> bool:
    """Whether a parsed document means to be a genealogy (a mapping with ``rolls``)."""
    return isinstance(document, dict) and "rolls" in document


def genealogy_from_document(document: Any, source: str) -> Genealogy:
    """Validate a parsed genealogy; raise :class:`InputError` with every problem by its path."""
    try:
        return Genealogy.model_validate(document)
    except ValidationError as error:
        raise InputError(validation_problems(error, document), source) from None


def read_genealogy(path: str | Path) -> Genealogy:
    """Read and validate a genealogy file."""
    data = read_input(path, limit=MAX_GENEALOGY_BYTES, what="genealogy file")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise InputError([Problem("", "is not a genealogy file (not JSON)")], str(path)) from None
    return genealogy_from_document(document, str(path))


__all__ = [
    "MAX_GENEALOGY_BYTES",
    "Genealogy",
    "RollRecord",
    "genealogy_from_document",
    "looks_like_genealogy",
    "read_genealogy",
]
