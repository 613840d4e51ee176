"""The field types every scenario part shares: identifiers, time references, the base model."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stations import Duration

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"),
    Field(description="An identifier: letters, digits, '_', '.', '-'; at most 64 characters."),
]
TimeRef = Annotated[
    dt.datetime | dt.date | Duration,
    Field(
        description="A date or date-time, or a duration after the scenario's start ('3d', minutes)."
    ),
]


class Model(BaseModel):
    """Base of every scenario part: unknown fields are mistakes, and parts are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
