"""Where an executed schedule lost its time: orders off their plan, and the machines to blame.

An order is *off plan* when its planned completion lies outside the interval of its realised
completions over the replications (later or earlier than the plan by more than the run's own
spread). For each such order, the first replication's event log is read roll by roll against the
plan's operations: the delay a roll gains at a machine is how much later it leaves that machine
than planned, less how much later it arrived (left the machine before) than planned. The machine
where the order's rolls gained most is where it lost its time, and that machine's time in each
state while those rolls were on it or waiting for it says why: down, waiting for a crew,
blocked, in setup or maintenance.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from twin.engine.plan import SchedulePlan
from twin.engine.records import StateChange
from twin.engine.results import SimulationResult

LOSS_STATES = ("down", "waiting_crew", "blocked", "setup", "maintenance", "off_shift")
"""States that explain lost time, in the order reports name them."""
OTHER_ROLLS = "other rolls"
"""Working on other rolls while the roll waited: the machine was busy with earlier work."""


@dataclass(frozen=True, slots=True)
class MachineLoss:
    """Time an order's rolls gained on one machine against the plan, and its machine's states."""

    machine: str
    gained_min: float
    states_min: dict[str, float] = field(default_factory=dict)
    """Minutes of the machine's units in each state of :data:`LOSS_STATES` meanwhile."""


@dataclass(frozen=True, slots=True)
class OffPlan:
    """An order whose realised completion is outside its plan, and where the time went."""

    order: str
    planned_min: float
    realised_low_min: float
    realised_high_min: float
    losses: list[MachineLoss]
    """Machines where its rolls gained delay, the largest first (first replication)."""

    @property
    def late(self) -> bool:
        """Later than planned (otherwise earlier)."""
        return self.realised_low_min > self.planned_min


def _units(machine: str) -> tuple[str, ...]:
    """The station units of a plan's machine (an inline segment names its stations with +)."""
    return tuple(machine.split("+"))


def _roll_windows(events: list[StateChange]) -> dict[tuple[str, str], tuple[float, float]]:
    """(roll, unit) -> when the unit first had the roll, and when it was done with it.

    Done is the first moment the unit's metres of the roll reached their most: an idle unit's
    later changes still name the last roll it had.
    """
    first: dict[tuple[str, str], float] = {}
    done: dict[tuple[str, str], tuple[float, float]] = {}  # (metres, first moment at them)
    for event in events:
        if event.roll is None:
            continue
        key = (event.roll, event.unit)
        first.setdefault(key, event.minute)
        metres = event.metres if event.metres is not None else 0.0
        best = done.get(key)
        if best is None or metres > best[0] + 1e-6:
            done[key] = (metres, event.minute)
    return {key: (first[key], done[key][1]) for key in first}


def _state_minutes(
    events: list[StateChange],
    units: tuple[str, ...],
    spans: list[tuple[float, float]],
    end: float,
    roll: str,
) -> dict[str, float]:
    """Minutes the machine spent in each loss state within ``spans`` (and on other rolls).

    The units of an inline segment run together: each state counts as its longest on one unit.
    """
    by_unit: dict[str, list[StateChange]] = defaultdict(list)
    for event in events:
        if event.unit in units:
            by_unit[event.unit].append(event)
    totals: dict[str, float] = defaultdict(float)
    for changes in by_unit.values():
        unit_totals: dict[str, float] = defaultdict(float)
        for k, change in enumerate(changes):
            until = changes[k + 1].minute if k + 1 < len(changes) else end
            state: str = change.state
            if state == "working" and change.roll != roll:
                state = OTHER_ROLLS
            elif state not in LOSS_STATES:
                continue
            for low, high in spans:
                overlap = min(until, high) - max(change.minute, low)
                if overlap > 0:
                    unit_totals[state] += overlap
        for state, minutes in unit_totals.items():
            totals[state] = max(totals[state], minutes)
    return {s: totals[s] for s in (OTHER_ROLLS, *LOSS_STATES) if totals.get(s, 0) > 0.5}


def off_plan(result: SimulationResult, plan: SchedulePlan, horizon_min: float) -> list[OffPlan]:
    """The orders off their plan, the furthest first, with where their rolls lost time."""
    events = result.events or []
    windows = _roll_windows(events)
    left_plant: dict[str, float] = {}  # when each roll left its last unit
    for (roll, _), (_, done) in windows.items():
        left_plant[roll] = max(left_plant.get(roll, done), done)
    per_roll: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for op in plan.operations:
        per_roll[op.roll].append((op.start_min, op.end_min, op.machine))
    found = []
    for order_id, order in result.orders.items():
        planned = order.planned_completion_h
        realised = order.completion_h
        if planned is None or realised is None:
            continue
        low, high, at = realised.ci_low * 60, realised.ci_high * 60, planned * 60
        if low <= at <= high:
            continue
        gains: dict[str, float] = defaultdict(float)
        spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
        rolls = [r for r in per_roll if r.rpartition("/")[0] == order_id]
        # the order completes with its last roll: that roll's delay is the order's
        last = max(rolls, key=lambda r: left_plant.get(r, -1.0), default=None)
        if last is None:
            continue
        for roll in [last]:
            operations = per_roll[roll]
            behind = 0.0  # how much later than planned the roll left its last machine
            arrived: float | None = None  # when it left the machine before
            for planned_start, planned_end, machine in sorted(operations):
                seen = [windows[(roll, u)] for u in _units(machine) if (roll, u) in windows]
                if not seen:
                    break  # not reached in the first replication's log
                left = max(last for _, last in seen)
                late = left - planned_end
                gains[machine] += late - behind
                # from its arrival (at the first machine: its planned start) until it left
                start = arrived if arrived is not None else planned_start
                spans[machine].append((start, left))
                behind, arrived = late, left
        losses = [
            MachineLoss(
                machine,
                gained,
                _state_minutes(events, _units(machine), spans[machine], horizon_min, last),
            )
            for machine, gained in sorted(gains.items(), key=lambda item: -item[1])
            if gained > 1.0
        ]
        found.append(OffPlan(order_id, at, low, high, losses))
    return sorted(found, key=lambda o: -max(o.realised_low_min - o.planned_min, 0.0))


__all__ = ["LOSS_STATES", "OTHER_ROLLS", "MachineLoss", "OffPlan", "off_plan"]
