"""The event log: one row per state change of a station unit (README, "Event logs").

Columns, in this order when the twin writes them (only ``time``, ``station`` and ``state`` are
required; the others are read where present):

========== ========================================================================================
time       ISO 8601 date-time the state began, ``2026-12-07T06:00:00`` (local time of the column
           map's time zone, UTC by default) or with an offset, ``2026-12-07T05:00:00Z``
end        date-time the state ended; without it a state lasts until the unit's next row, and the
           last one until the log's last time. With it, a gap between two rows is time the log
           does not know (it interrupts up-periods), and a row that starts before the one before
           it ended overlaps it
station    station id of the scenario
unit       unit name: ``PC2#2`` for the second of parallel units; empty or absent: the station id
state      one of :data:`STATES`
cause      the failure mode's ``name`` for ``down`` (``web_break`` for a web break), the
           maintenance task's ``name`` for ``maintenance``, ``changeover`` or ``roll_change`` for
           ``setup``; empty when not known
roll       roll id under the station (``SO-1/3``)
order      order id of that roll
product    product id of that roll
step       recipe step index (0-based) the station runs on that roll
metres     metres of that roll processed at this station when the state began
========== ========================================================================================

The twin writes times from the scenario's ``start``; a scenario without one starts at
:data:`DEFAULT_START` (2000-01-01T00:00:00, a date no plant history has). It also writes ``end``
(the next row's time, the horizon for the last), so that its own logs say where they end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from twin.engine.states import STATE_NAMES

STATES = STATE_NAMES
"""The eight states of the twin (DESIGN.md, time in state); their shares sum to one."""

COLUMNS = (
    "time",
    "end",
    "station",
    "unit",
    "state",
    "cause",
    "roll",
    "order",
    "product",
    "step",
    "metres",
)
"""The columns of the format, in the order the twin writes them."""

REQUIRED = ("time", "station", "state")
"""The columns every log must have."""

DEFAULT_START = dt.datetime(2000, 1, 1)
"""Date-time of the twin's t = 0 when the scenario gives no ``start``."""

WEB_BREAK = "web_break"
"""The cause of a ``down`` state that is a web break, not a failure mode."""


class StateRecord(Protocol):
    """What the writer needs of one state change (the engine's ``StateChange`` has these)."""

    @property
    def minute(self) -> float:
        """Minutes from the run's start."""

    @property
    def station(self) -> str:
        """Station id."""

    @property
    def unit(self) -> str:
        """Unit name (``PC2#2``), else the station id."""

    @property
    def state(self) -> str:
        """One of :data:`STATES`."""

    @property
    def cause(self) -> str | None:
        """Failure mode, maintenance task, ``changeover`` or ``roll_change``; None if unknown."""

    @property
    def roll(self) -> str | None:
        """Roll id, if a roll is on the unit."""

    @property
    def order(self) -> str | None:
        """Order id of the roll."""

    @property
    def product(self) -> str | None:
        """Product id of the roll."""

    @property
    def step(self) -> int | None:
        """Recipe step index."""

    @property
    def metres(self) -> float | None:
        """Metres of the roll processed at the station so far."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A state change with every field of the format (a :class:`StateRecord`)."""

    minute: float
    station: str
    unit: str
    state: str
    cause: str | None = None
    roll: str | None = None
    order: str | None = None
    product: str | None = None
    step: int | None = None
    metres: float | None = None
