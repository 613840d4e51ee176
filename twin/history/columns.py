"""The column map: how to read a plant's own MES export as an event log, without editing it.

A small YAML (or JSON) file::

    columns: {time: Timestamp, end: Until, station: Machine, state: Status, cause: Reason}
    states: {RUN: working, IDLE: starved, FULL: blocked, FAULT: down, PM: maintenance,
             SETUP: setup, NOSHIFT: off_shift, WAIT_TECH: waiting_crew}
    stations: {M-PECVD-01: PC1}
    time_zone: Europe/Berlin
    time_format: "%d.%m.%Y %H:%M:%S"
    delimiter: ";"

Every key is optional: without a map the file must use the format's own names (``format``).
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from twin.files import read_input
from twin.history.files import MAX_CONFIG_BYTES
from twin.history.format import COLUMNS, STATES
from twin.scenario import InputError, Model, Problem, parse_document, validation_problems

Column = Literal[
    "time", "end", "station", "unit", "state", "cause", "roll", "order", "product", "step", "metres"
]
State = Literal[
    "working", "starved", "blocked", "down", "setup", "maintenance", "off_shift", "waiting_crew"
]
assert set(Column.__args__) == set(COLUMNS) and set(State.__args__) == set(STATES)  # type: ignore[attr-defined]


class ColumnMapError(InputError):
    """A column map file that cannot be used."""


class ColumnMap(Model):
    """How the columns, state names, station names and times of an export map onto the format."""

    columns: dict[Column, str] = Field(
        default={}, description="The file's header for each column of the format."
    )
    states: dict[str, State] = Field(
        default={}, description="The file's state names, each mapped onto one of the eight."
    )
    stations: dict[str, str] = Field(
        default={}, description="The file's station names mapped onto the scenario's ids."
    )
    time_zone: str = Field(
        default="UTC", description="Time zone of date-times written without an offset (IANA)."
    )
    time_format: str | None = Field(
        default=None, description="strftime format of the date-times (default: ISO 8601)."
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="CSV delimiter.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "unknown time zone (give an IANA name such as Europe/Berlin)"
            ) from None
        return value

    def header(self, column: str) -> str:
        """The file's header for a column of the format."""
        return self.columns.get(column, column)  # type: ignore[call-overload]

    def state(self, name: str) -> str | None:
        """The state a name of the file stands for; None if it is not mapped."""
        if name in self.states:
            return self.states[name]
        return name if name in STATES else None


def parse_column_map(data: bytes | str, name: str = "column map") -> ColumnMap:
    """Check a column map from its text (YAML or JSON, by ``name``'s suffix)."""
    fmt: Literal["yaml", "json"] = "json" if name.lower().endswith(".json") else "yaml"
    try:
        document = parse_document(data, fmt)
    except ValueError as error:
        raise ColumnMapError([Problem("", f"the document {error}")], name) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ColumnMapError([Problem("", "a column map must be a mapping of fields")], name)
    try:
        return ColumnMap.model_validate(document)
    except ValidationError as error:
        problems = [
            Problem(p.path.replace('["[key]"]', "").replace(".[key]", ""), p.message, p.severity)
            for p in validation_problems(error, document)
        ]
        raise ColumnMapError(problems, name) from None


def load_column_map(path: str | Path) -> ColumnMap:
    """Read and check a column map file; every mistake by its path in one ColumnMapError."""
    return parse_column_map(read_input(path, limit=MAX_CONFIG_BYTES, what="column map"), str(path))
