"""The field types every scenario part shares: identifiers, time references, the base model."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from stations import Duration
from stations.units import parse_duration

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"),
    Field(
        description="An identifier: a letter or digit, then letters, digits, '_' or '-'; at most "
        "64 characters. No dots or slashes: roll ids are built from order ids ('SO-1/3', lane "
        "'SO-1/3.L2') and KPI names from line and station ids ('lines.INL1.output_m2_per_h')."
    ),
]


def parse_time_ref(value: object) -> object:
    """A date, date-time or duration written as text, read in one go with one message.

    ``2026-12-07`` is a date, ``2026-12-07 06:00`` (or ``T06:00``) a date-time, anything else a
    duration (``3d``, ``8 hours``, minutes); text that is none of them says which it tried.
    """
    if not isinstance(value, str):
        return value
    if not _DATE_LIKE.match(value):
        return parse_duration(value)
    text = value.strip()
    try:
        return dt.date.fromisoformat(text) if len(text) <= 10 else dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a date: {error}") from None


_DATE_LIKE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}")

TimeRef = Annotated[
    dt.datetime | dt.date | Duration,
    BeforeValidator(parse_time_ref),
    Field(
        description="A date or date-time, or a duration after the scenario's start ('3d', minutes)."
    ),
]


class Model(BaseModel):
    """Base of every scenario part: unknown fields are mistakes, and parts are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
