"""The plant at a moment: what each tool is doing, what waits in each store, what is done.

A :class:`PlantState` says, at the date-time ``at``, for each station unit whether it is up,
down (until a date-time, or for the rest of a repair drawn from its repair distribution), in
maintenance or setup until a date-time, or off; the roll on it and how far it is; what it last
ran (so the next changeover is right), its usage counters and its operating time since its last
failure. It says which rolls wait in each roll store (and since when, so that waiting limits
count from the right moment), which released rolls wait at each line's entry, each
accumulator's level, and each open order's progress. It is
read from a file (YAML or JSON, ``r2r schema --state``) that the plant's systems or the twin
itself (``r2r simulate --snapshot-out``) write, and checked against its scenario.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from twin.scenario.fields import Identifier, Model

UnitName = str
"""A station unit: the station id, or ``PC2#2`` for the second of a station's parallel units."""


class RollOnTool(Model):
    """The roll a unit is working on, and how much of it the unit has done."""

    id: str = Field(min_length=1, max_length=100, description="Roll id, e.g. 'SO-A3-01/3'.")
    order: Identifier
    product: Identifier
    step: int = Field(ge=0, le=29, description="Index of the recipe step the unit runs on it.")
    length_m: float | None = Field(
        default=None, gt=0, le=100_000, description="Length of the roll, m (default: standard)."
    )
    done_m: float = Field(
        default=0.0, ge=0, le=100_000, description="Metres of the roll the unit has processed."
    )
    released: dt.datetime | None = Field(
        default=None, description="When the roll was released (its lead time counts from it)."
    )


class LastRun(Model):
    """What a unit last ran: the next changeover is from it."""

    product: Identifier
    step: int = Field(ge=0, le=29, description="Index of the recipe step.")


class UnitState(Model):
    """One station unit at the state's moment."""

    unit: UnitName = Field(min_length=1, max_length=70, description="Station id, or 'PC2#2'.")
    status: Literal["up", "down", "maintenance", "setup", "off"] = Field(
        default="up", description="What the unit is doing."
    )
    until: dt.datetime | None = Field(
        default=None,
        description="When it is up again (down, maintenance or setup); a unit down without it "
        "needs the rest of a repair drawn from its failure's repair distribution.",
    )
    failure: str | None = Field(
        default=None, max_length=80, description="The failure mode that stopped it (down)."
    )
    task: str | None = Field(
        default=None, max_length=80, description="The maintenance task it is in (maintenance)."
    )
    roll: RollOnTool | None = Field(default=None, description="The roll on it, if any.")
    last: LastRun | None = Field(default=None, description="What it last ran.")
    counters: dict[str, float] = Field(
        default={}, description="Usage counters since their last maintenance, counter units."
    )
    operating_min: dict[str, float] = Field(
        default={},
        description="Operating time since each failure mode last struck, minutes, by mode name "
        "(where known; else a fresh time to failure is drawn).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> UnitState:
        if self.until is not None and self.status in ("up", "off"):
            raise ValueError(f"an 'until' goes with down, maintenance or setup, not {self.status}")
        if self.status in ("maintenance", "setup") and self.until is None:
            raise ValueError(f"a unit in {self.status} needs 'until'")
        if self.failure is not None and self.status != "down":
            raise ValueError("a 'failure' goes with status down")
        if any(v < 0 or v != v for v in (*self.counters.values(), *self.operating_min.values())):
            raise ValueError("counters and operating times must be >= 0")
        return self


class StoredRoll(Model):
    """A roll waiting in a roll store."""

    id: str = Field(min_length=1, max_length=100, description="Roll id.")
    order: Identifier
    product: Identifier
    length_m: float | None = Field(
        default=None, gt=0, le=100_000, description="Length, m (default: standard)."
    )
    done_step: int = Field(ge=0, le=29, description="Index of the last recipe step done on it.")
    entered: dt.datetime = Field(description="When it entered the store (waiting limits count).")
    released: dt.datetime | None = Field(
        default=None, description="When the roll was released (its lead time counts from it)."
    )


class StoreState(Model):
    """The rolls in one roll store, first in first."""

    store: Identifier
    rolls: list[StoredRoll] = Field(default=[], max_length=10_000)


class QueuedRoll(Model):
    """A released roll waiting for its line's first tool."""

    id: str = Field(min_length=1, max_length=100, description="Roll id.")
    order: Identifier
    product: Identifier
    length_m: float | None = Field(
        default=None, gt=0, le=100_000, description="Length, m (default: standard)."
    )
    released: dt.datetime = Field(description="When it was released.")


class LineQueue(Model):
    """The released rolls waiting at a line's entry, first in first."""

    line: Identifier
    rolls: list[QueuedRoll] = Field(default=[], max_length=100_000)


class AccumulatorState(Model):
    """An accumulator's level."""

    accumulator: Identifier
    level_m: float = Field(ge=0, le=100_000, description="Web in it, m.")


class OrderProgress(Model):
    """How far an open order is."""

    order: Identifier
    finished_rolls: int = Field(default=0, ge=0, le=10_000, description="Rolls finished.")
    released_rolls: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description="Rolls released so far (finished, on tools, in stores or queued).",
    )
    released_ids: list[str] = Field(
        default=[],
        max_length=10_000,
        description="Which rolls were released, where known (the twin's own snapshots say; "
        "without it, the first released_rolls of the order's rolls).",
    )

    @model_validator(mode="after")
    def _counted(self) -> OrderProgress:
        if self.finished_rolls > self.released_rolls:
            raise ValueError(
                f"{self.finished_rolls} rolls finished but only {self.released_rolls} released"
            )
        if self.released_ids and len(self.released_ids) != self.released_rolls:
            raise ValueError(
                f"released_ids names {len(self.released_ids)} rolls, released_rolls says "
                f"{self.released_rolls}"
            )
        return self


class PlantState(Model):
    """The plant at the moment ``at``: a run or a schedule starts from it."""

    at: dt.datetime = Field(description="The moment it describes; a run's t = 0.")
    scenario: str | None = Field(default=None, max_length=200, description="Its scenario's name.")
    units: list[UnitState] = Field(default=[], max_length=1000)
    stores: list[StoreState] = Field(default=[], max_length=1000)
    queues: list[LineQueue] = Field(default=[], max_length=100)
    accumulators: list[AccumulatorState] = Field(default=[], max_length=1000)
    orders: list[OrderProgress] = Field(default=[], max_length=20_000)


__all__ = [
    "AccumulatorState",
    "LastRun",
    "LineQueue",
    "OrderProgress",
    "PlantState",
    "QueuedRoll",
    "RollOnTool",
    "StoreState",
    "StoredRoll",
    "UnitState",
]
