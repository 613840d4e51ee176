"""A deliberately naive SimPy model of a two-station inline web line, moving the web 1 m at a time.

It is the baseline of a benchmark and an independent reference for the engine, so it imports
nothing from ``twin`` or ``stations`` and favours being obviously correct over being fast.

Semantics (time in minutes, speeds in m/min):

* Station 1 has an unlimited supply of web. It moves one metre at a time: each metre takes
  ``1 / v1`` minutes of operation, after which station 1 puts it into the accumulator, a
  ``simpy.Container`` of ``capacity_m`` metres that starts empty. While the accumulator is full
  station 1 holds the finished metre and waits, not operating.
* Station 2 takes one metre at a time from the accumulator (waiting, not operating, while it is
  empty) and processes it in ``1 / v2`` minutes. The output is the metres station 2 finished.
* Failures are deterministic and operation-dependent: station ``i`` fails after every ``ttf_i``
  minutes of operating time, is down for ``ttr_i`` minutes, then its operating clock restarts at
  zero. Waiting (blocked or starved) does not advance the clock. A failure may fall in the
  middle of a metre: the metre stops and resumes after the repair. When the clock reaches
  ``ttf_i`` exactly as a metre ends, the station goes down first and hands the metre on after
  the repair (a difference of at most one metre). ``ttf = float('inf')`` means no failures.
* The accumulator holds whole metres: ``floor(capacity_m)`` of them (plus the finished metre a
  blocked station 1 holds).
* ``capacity_m < 1`` (no whole metre fits, in particular ``0``) couples the stations directly.
  They then move in lockstep: one process moves each metre through both stations at the common
  web speed ``min(v1, v2)``, so a metre takes ``1 / min(v1, v2)`` minutes and BOTH operating
  clocks run for all of that time (the faster station is running slowly, not waiting). A failure
  of either station stops the web: the other station waits, its clock frozen, until the repair
  (if both fail at the same instant they are repaired side by side: down ``max(ttr1, ttr2)``).

``events`` counts the SimPy events processed (one per ``env.step()``), including process starts
and container put/get events, up to and including the horizon.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass

import simpy

EPS = 1e-6  # minutes; absorbs floating-point drift of the operating clocks (sums of 1 / v)


@dataclass
class _Clock:
    """A station's operation-dependent failure clock."""

    ttf: float
    ttr: float
    operating: float = 0.0  # operating minutes since the last repair

    def to_failure(self) -> float:
        """Operating minutes left before the next failure (``inf`` if it never fails)."""
        return self.ttf - self.operating


def _operate(env: simpy.Environment, clock: _Clock, minutes: float) -> Generator:
    """Spend ``minutes`` of operating time, going down for ``ttr`` whenever the clock hits ttf."""
    remaining = minutes
    while True:
        to_failure = clock.to_failure()
        if remaining < to_failure - EPS:  # finishes strictly before the next failure
            yield env.timeout(remaining)
            clock.operating += remaining
            return
        step = max(to_failure, 0.0)
        if step > 0:
            yield env.timeout(step)
        remaining -= step
        clock.operating = 0.0
        yield env.timeout(clock.ttr)  # down
        if remaining <= EPS:
            return


def _operate_coupled(
    env: simpy.Environment, clocks: tuple[_Clock, _Clock], minutes: float
) -> Generator:
    """Lockstep: both clocks run while the web moves; either failure stops both stations."""
    remaining = minutes
    while True:
        to_failure = min(c.to_failure() for c in clocks)
        if remaining < to_failure - EPS:
            yield env.timeout(remaining)
            for c in clocks:
                c.operating += remaining
            return
        step = max(to_failure, 0.0)
        if step > 0:
            yield env.timeout(step)
        remaining -= step
        for c in clocks:
            c.operating += step
        failed = [c for c in clocks if c.to_failure() <= EPS]
        for c in failed:
            c.operating = 0.0
        yield env.timeout(max(c.ttr for c in failed))  # repaired side by side
        if remaining <= EPS:
            return


def naive_inline_output(
    v1: float,
    v2: float,
    capacity_m: float,
    ttf1: float,
    ttr1: float,
    ttf2: float,
    ttr2: float,
    horizon_min: float,
) -> dict:
    """Simulate the line metre by metre up to ``horizon_min`` minutes.

    Returns ``{"output_m": metres that left station 2 by the horizon, "events": SimPy events
    processed}``. See the module docstring for the semantics, including ``capacity_m < 1``.
    """
    if v1 <= 0 or v2 <= 0:
        raise ValueError("speeds must be positive")
    if capacity_m < 0:
        raise ValueError("capacity_m must be non-negative")
    for ttf, ttr in ((ttf1, ttr1), (ttf2, ttr2)):
        if not ttf > 0 or ttr < 0:
            raise ValueError("ttf must be positive and ttr non-negative")

    env = simpy.Environment()
    clock1 = _Clock(ttf1, ttr1)
    clock2 = _Clock(ttf2, ttr2)
    output = {"m": 0}

    def station1(acc: simpy.Container) -> Generator:
        while True:
            yield from _operate(env, clock1, 1.0 / v1)
            yield acc.put(1)  # waits while the accumulator is full

    def station2(acc: simpy.Container) -> Generator:
        while True:
            yield acc.get(1)  # waits while the accumulator is empty
            yield from _operate(env, clock2, 1.0 / v2)
            output["m"] += 1

    def coupled() -> Generator:
        minutes = 1.0 / min(v1, v2)
        while True:
            yield from _operate_coupled(env, (clock1, clock2), minutes)
            output["m"] += 1

    if capacity_m >= 1:
        acc = simpy.Container(env, capacity=math.floor(capacity_m), init=0)
        env.process(station1(acc))
        env.process(station2(acc))
    else:
        env.process(coupled())

    events = 0
    while env.peek() <= horizon_min:
        env.step()
        events += 1
    return {"output_m": output["m"], "events": events}


def main() -> None:
    """Print the benchmark case: v1=10, v2=8, 100 m accumulator, failures, two days."""
    args = {
        "v1": 10.0,
        "v2": 8.0,
        "capacity_m": 100.0,
        "ttf1": 600.0,
        "ttr1": 60.0,
        "ttf2": 900.0,
        "ttr2": 90.0,
        "horizon_min": 2 * 24 * 60.0,
    }
    start = time.perf_counter()
    result = naive_inline_output(**args)
    wall = time.perf_counter() - start
    print(f"naive inline {args}")
    print(f"output {result['output_m']} m, {result['events']} SimPy events, wall {wall:.3f} s")


if __name__ == "__main__":
    main()
