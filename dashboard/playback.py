"""The plant at a moment: each unit's state and roll, each store's rolls, each accumulator's level.

A :class:`Replay` reads one replication's event log (the engine's ``StateChange`` and
``BufferChange`` records, kept with ``RunOptions(event_log=True)``) and gives the plant at any
minute of it (:meth:`Replay.at`). A record holds "just after" its minute: at the minute a roll
leaves a store it is no longer there. An accumulator's level runs linearly from one record to
the next; a roll's progress on a working unit is likewise interpolated between the metres the
log gives at the unit's state changes. :func:`moment_of_state` reads the same picture from a
plant state file (``twin.state.PlantState``): "this is the plant now".
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dashboard.layout import PlantLayout
from twin import BufferChange, StateChange
from twin.display import moment
from twin.state import PlantState

NOT_IN_FILE = "unknown"
"""The state of a unit a plant state file does not mention."""

STATUS_STATES = {
    "down": "down",
    "maintenance": "maintenance",
    "setup": "setup",
    "off": "off_shift",
}
"""A state file's unit status as the state it is drawn in (``up`` depends on the roll)."""


@dataclass(frozen=True)
class UnitAt:
    """One station unit at the moment: its state (the twin's words), why, and its roll."""

    unit: str
    state: str
    """working, starved, blocked, down, setup, maintenance, off_shift, waiting_crew, unknown."""
    status: str
    """The state as shown: ``down (plasma source arc-out)``, ``up`` (a state file's word)."""
    since_min: float | None = None
    """When it entered the state, minutes after the start (None: not known)."""
    roll: str | None = None
    product: str | None = None
    done_m: float | None = None
    length_m: float | None = None

    @property
    def progress(self) -> float | None:
        """Share of the roll the unit has done (None without a roll or its length)."""
        if self.done_m is None or not self.length_m:
            return None
        return min(max(self.done_m / self.length_m, 0.0), 1.0)


@dataclass(frozen=True)
class RollWaiting:
    """A roll in a store: how long it has waited, against its product's limit there."""

    roll: str
    product: str | None
    waited_min: float
    limit_min: float | None = None


@dataclass(frozen=True)
class PlantMoment:
    """The plant at one moment: units, stores (rolls, first in first) and accumulators (m)."""

    minute: float
    """Minutes after the scenario's start."""
    when: str
    """The moment as people read it: a calendar date and time."""
    units: dict[str, UnitAt]
    stores: dict[str, tuple[RollWaiting, ...]]
    accumulators: dict[str, float]


@dataclass(frozen=True)
class _Stay:
    store: str
    roll: str
    entered: float
    left: float


class Replay:
    """One replication's event log, indexed so that the plant at any minute is quick to get."""

    def __init__(
        self,
        events: Iterable[StateChange],
        buffer_events: Iterable[BufferChange],
        layout: PlantLayout,
        *,
        start: dt.datetime | None,
        horizon_min: float,
        roll_length_m: float,
        roll_lengths: Mapping[str, float] | None = None,
    ) -> None:
        self.layout = layout
        self.start = start
        self.horizon_min = horizon_min
        self._standard_m = roll_length_m
        self._lengths = dict(roll_lengths or {})
        self._records: dict[str, list[StateChange]] = {unit: [] for unit in layout.units}
        for event in sorted(events, key=lambda e: e.minute):  # stable: the log's order at ties
            self._records.setdefault(event.unit, []).append(event)
        self._times = {unit: [r.minute for r in rs] for unit, rs in self._records.items()}
        self.products = {r.roll: r.product for rs in self._records.values() for r in rs if r.roll}
        """Each roll's product, as the log names it."""
        self._stays: list[_Stay] = []
        self._levels: dict[str, tuple[list[float], list[float]]] = {}
        self._read_buffers(sorted(buffer_events, key=lambda e: e.minute))
        self._entries = [stay.entered for stay in self._stays]

    def _read_buffers(self, changes: list[BufferChange]) -> None:
        inside: dict[tuple[str, str], float] = {}
        for change in changes:
            if change.change == "level":
                times, levels = self._levels.setdefault(change.buffer, ([], []))
                times.append(change.minute)
                levels.append(change.level)
            elif change.roll is not None and change.change == "in":
                inside[(change.buffer, change.roll)] = change.minute
            elif change.roll is not None:
                entered = inside.pop((change.buffer, change.roll), 0.0)
                self._stays.append(_Stay(change.buffer, change.roll, entered, change.minute))
        self._stays += [
            _Stay(store, roll, entered, float("inf")) for (store, roll), entered in inside.items()
        ]
        self._stays.sort(key=lambda stay: stay.entered)

    # ------------------------------------------------------------------------------ a moment
    def at(self, minute: float) -> PlantMoment:
        """The plant just after ``minute`` (minutes after the start)."""
        units = {unit: self._unit_at(unit, minute) for unit in self.layout.units}
        stores: dict[str, list[RollWaiting]] = {
            b.id: [] for b in self.layout.buffers.values() if b.kind == "roll_store"
        }
        limits = {b.id: b.max_wait_min for b in self.layout.buffers.values()}
        for stay in self._stays[: bisect.bisect_right(self._entries, minute)]:
            if stay.left > minute:
                product = self.products.get(stay.roll)
                limit = limits.get(stay.store, {}).get(product) if product else None
                stores.setdefault(stay.store, []).append(
                    RollWaiting(stay.roll, product, minute - stay.entered, limit)
                )
        accumulators = {
            b.id: self.level(b.id, minute)
            for b in self.layout.buffers.values()
            if b.kind == "accumulator"
        }
        return PlantMoment(
            minute,
            moment(self.start, minute),
            units,
            {store: tuple(rolls) for store, rolls in stores.items()},
            accumulators,
        )

    def level(self, accumulator: str, minute: float) -> float:
        """An accumulator's level at ``minute``, m: linear between its logged levels."""
        times, levels = self._levels.get(accumulator, ([], []))
        index = bisect.bisect_right(times, minute) - 1
        if index < 0:
            return levels[0] if levels else 0.0
        if index + 1 < len(times):
            span = times[index + 1] - times[index]
            rise = levels[index + 1] - levels[index]
            return levels[index] + rise * (minute - times[index]) / span
        return levels[index]

    def _unit_at(self, unit: str, minute: float) -> UnitAt:
        records, times = self._records.get(unit, []), self._times.get(unit, [])
        index = bisect.bisect_right(times, minute) - 1
        if index < 0:
            return UnitAt(unit, "starved", "starved (nothing logged yet)")
        record = records[index]
        done = record.metres
        following = records[index + 1] if index + 1 < len(records) else None
        if (
            record.state == "working"
            and following is not None
            and following.roll == record.roll
            and following.metres is not None
            and done is not None
            and following.minute > record.minute
        ):
            share = (minute - record.minute) / (following.minute - record.minute)
            done += (following.metres - done) * share
        status = record.state.replace("_", " ") + (f" ({record.cause})" if record.cause else "")
        return UnitAt(
            unit,
            record.state,
            status,
            record.minute,
            record.roll,
            record.product,
            done if record.roll else None,
            self._lengths.get(record.roll, self._standard_m) if record.roll else None,
        )

    # ----------------------------------------------------------------------- the whole replication
    def counts(self, station: str) -> dict[str, Counter[str]]:
        """What a station's units went through over the replication, counted.

        How often they went down, into maintenance and into setup (each by its cause), and
        how many rolls they started.
        """
        found: dict[str, Counter[str]] = {
            "down": Counter(),
            "maintenance": Counter(),
            "setup": Counter(),
        }
        rolls: set[str] = set()
        for unit in self.layout.stations[station].units:
            previous: tuple[str, str | None] | None = None
            for record in self._records.get(unit, []):
                key = (record.state, record.cause)
                if record.state in found and key != previous:
                    found[record.state][record.cause or record.state] += 1
                previous = key
                if record.roll:
                    rolls.add(record.roll)
        found["rolls"] = Counter({"rolls started": len(rolls)})
        return found


def moment_of_state(
    state: PlantState, layout: PlantLayout, start: dt.datetime | None, roll_length_m: float
) -> PlantMoment:
    """A plant state file as a moment: "this is the plant now".

    Its units, its stores' rolls (each one's wait counted from when it entered) and its
    accumulators' levels; a unit the file does not mention is drawn as unknown.
    """
    at = state.at
    minute = _minutes_between(start, at) if start is not None else 0.0
    units = {unit: UnitAt(unit, NOT_IN_FILE, "not in the state file") for unit in layout.units}
    for unit in state.units:
        roll = unit.roll
        if unit.status == "up":
            drawn, status = ("working", "up") if roll else ("starved", "up, no roll")
        else:
            drawn = STATUS_STATES[unit.status]
            why = unit.failure or unit.task
            status = unit.status + (f" ({why})" if why else "")
            if unit.until is not None:
                status += f" until {unit.until:%Y-%m-%d %H:%M}"
        units[unit.unit] = UnitAt(
            unit.unit,
            drawn,
            status,
            None,
            roll.id if roll else None,
            roll.product if roll else None,
            roll.done_m if roll else None,
            (roll.length_m or roll_length_m) if roll else None,
        )
    limits = {b.id: b.max_wait_min for b in layout.buffers.values()}
    stores: dict[str, tuple[RollWaiting, ...]] = {
        b.id: () for b in layout.buffers.values() if b.kind == "roll_store"
    }
    stores |= {
        store.store: tuple(
            RollWaiting(
                roll.id,
                roll.product,
                _minutes_between(roll.entered, at),
                limits.get(store.store, {}).get(roll.product),
            )
            for roll in store.rolls
        )
        for store in state.stores
    }
    levels = {b.id: 0.0 for b in layout.buffers.values() if b.kind == "accumulator"}
    levels |= {acc.accumulator: acc.level_m for acc in state.accumulators}
    when = at.strftime("%Y-%m-%d %H:%M") + (f" {at.tzname()}" if at.tzinfo else "")
    return PlantMoment(minute, when, units, stores, levels)


def _minutes_between(earlier: dt.datetime, later: dt.datetime) -> float:
    if (earlier.tzinfo is None) != (later.tzinfo is None):
        earlier, later = earlier.replace(tzinfo=None), later.replace(tzinfo=None)
    return (later - earlier).total_seconds() / 60
