"""Which operations can directly follow each other on a machine, from their time windows.

A machine's circuit needs an arc for every pair that may be neighbours in its sequence. Most pairs
of a long order book never can: ``b`` cannot follow ``a`` if it must start before ``a`` can end
(with the setup between), if ``b`` comes before ``a`` in their job's route, or if an operation
that always runs on the machine must lie between them (it cannot run before ``a`` and cannot run
after ``b``). Leaving those arcs out keeps the model near-linear in the number of operations when
their windows are narrow (a long horizon of releases and deadlines), without losing a schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from twin.schedule.model.variables import Mode
from twin.schedule.model.windows import can_follow, surely_before
from twin.schedule.problem import Problem

Pair = tuple[int | None, int | None]
"""(index of the mode before, index of the mode after); ``None`` is the dummy node."""


def _two_smallest(values: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """The two smallest (value, index) pairs, padded with ``(inf, -1)``."""
    return ([*sorted(values)[:2]] + [(math.inf, -1)] * 2)[:2]


def _smallest_except(pairs: list[tuple[float, int]], index: int) -> float:
    """The smallest value in ``pairs`` (two smallest of a set) not belonging to ``index``."""
    return pairs[0][0] if pairs[0][1] != index else pairs[1][0]


def possible_arcs(
    problem: Problem,
    modes: Sequence[Mode],
    setup_between: Callable[[Mode | None, Mode], int],
) -> set[Pair]:
    """The arcs (by index into ``modes``) that some schedule may use on the machine."""
    spans = [mode.span for mode in modes]
    mandatory = [i for i, mode in enumerate(modes) if mode.present is None]
    latest_starts = _two_smallest([(spans[c].latest, c) for c in mandatory])
    arcs: set[Pair] = set()
    for b in range(len(modes)):
        end = spans[b].earliest + spans[b].duration
        if _smallest_except(latest_starts, b) >= end:  # nothing must precede b
            arcs.add((None, b))
    for a, before in enumerate(modes):
        after_a = [c for c in mandatory if c != a and surely_before(spans[a], spans[c])]
        if not after_a:
            arcs.add((a, None))
        bounded = _two_smallest([(spans[c].latest, c) for c in after_a])
        job, position = before.operation.job, problem.route_index[before.operation.id]
        for b, after in enumerate(modes):
            if a == b:
                continue
            if after.operation.job == job and problem.route_index[after.operation.id] < position:
                continue
            if not can_follow(spans[a], spans[b], setup_between(before, after)):
                continue
            if _smallest_except(bounded, b) < spans[b].earliest + spans[b].duration:
                continue  # an operation surely after a must also come before b
            arcs.add((a, b))
    return arcs
