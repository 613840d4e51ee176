"""Units people write and the engine's internal units.

Inside the twin, time is in minutes, length in metres, speed in m/min and temperature in °C
(DESIGN.md). People may give durations as a number of minutes or as a string such as ``"45min"``,
``"8h"``, ``"8 hours"``, ``"1.5d"``, ``"2 days"`` or ``"90s"``; :data:`Duration` accepts both and
always yields minutes. ``m`` is refused: everywhere else in a scenario it means metres.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

_UNIT_NAMES: dict[float, tuple[str, ...]] = {
    1 / 60: ("s", "sec", "secs", "second", "seconds"),
    1.0: ("min", "mins", "minute", "minutes"),
    60.0: ("h", "hr", "hrs", "hour", "hours"),
    1440.0: ("d", "day", "days"),
    10080.0: ("w", "wk", "wks", "week", "weeks"),
}
MINUTES_PER_UNIT: dict[str, float] = {
    name: minutes for minutes, names in _UNIT_NAMES.items() for name in names
}
"""Minutes in each unit a duration may be written in (``m`` is not one: it means metres)."""
MAX_DURATION_MIN = 100 * 365 * 1440.0
"""Longest duration accepted anywhere, minutes: a century."""

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")


def parse_duration(value: object) -> float:
    """Return ``value`` in minutes: a number is minutes, a string carries its unit (``"8h"``)."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 45, '45min', '8h' or '2d', not true/false")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("must be a finite duration")
        return float(value)
    if isinstance(value, str):
        return _parse_text(value)
    raise ValueError("must be a duration such as 45, '45min', '8h' or '2d'")


@functools.lru_cache(maxsize=4096)
def _parse_text(value: str) -> float:
    """A duration written as text, in minutes (books repeat the same few, so it is cached)."""
    match = _DURATION.match(value)
    if match:
        number, unit = match.groups()
        unit = unit.lower() or "min"
        if unit == "m":
            raise ValueError(
                f"{value!r}: 'm' means metres here; write minutes as '{number}min' or {number}"
            )
        if unit in MINUTES_PER_UNIT:
            minutes = float(number) * MINUTES_PER_UNIT[unit]
            if not math.isfinite(minutes):
                raise ValueError(f"{value!r} is not a finite duration")
            return minutes
    raise ValueError(
        f"{value!r} is not a duration; write minutes as a number or a string such as "
        "'45min', '8h', '8 hours', '2 days', '90s'"
    )


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": MAX_DURATION_MIN, "description": "minutes"},
        {
            "type": "string",
            "pattern": r"^\s*[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?\s*("
            + "|".join(sorted(MINUTES_PER_UNIT, key=len, reverse=True))
            + r")?\s*$",
            "description": "a number with a unit: s, min, h, d, w (or seconds, minutes, hours, "
            "days, weeks)",
        },
    ]
}

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    Field(ge=0, le=MAX_DURATION_MIN),
    WithJsonSchema(_DURATION_SCHEMA),
    PlainSerializer(lambda minutes: minutes, return_type=float),
]
"""A duration in minutes; accepts ``30``, ``"30min"``, ``"8h"``, ``"2d"``."""

PositiveDuration = Annotated[Duration, Field(gt=0)]
"""A duration in minutes that must be greater than zero."""
