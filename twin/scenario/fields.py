"""The field types every scenario part shares: identifiers, time references, the base model."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stations import Duration

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"),
    Field(
        description="An identifier: a letter or digit, then letters, digits, '_' or '-'; at most "
        "64 characters. No dots or slashes: roll ids are built from order ids ('SO-1/3', lane "
        "'SO-1/3.L2') and KPI names from line and station ids ('lines.INL1.output_m2_per_h')."
    ),
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
