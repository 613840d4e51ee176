"""Evaluating finished rolls: draw their defects, inspect, slit, and count the outcome per roll.

Rolls go in blocks of :data:`EVALUATION_BLOCK` as they finish, each block in one vectorised pass:
a block's arrays are small enough for the allocator to reuse from one block to the next (see
:func:`keep_freed_memory`), and a finished roll's records need not wait for the end of the run.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from stations import Equipment, RecipeStep
from twin.engine.quality.defects import CAUSES, concat
from twin.engine.quality.inspection import look
from twin.engine.quality.laying import lay
from twin.engine.quality.rates import RateTable, rate_rows
from twin.engine.quality.records import Worn
from twin.engine.quality.slitting import DEFAULT_CUT_OUT_M, Layouts, slit_rolls

EVALUATION_BLOCK = 200
"""Rolls evaluated together."""

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
"""glibc's ``mallopt`` parameters (malloc.h)."""


@functools.cache
def keep_freed_memory() -> None:
    """Let the C allocator keep freed arrays of up to 32 MiB for the next ones (glibc only).

    A block's arrays are some hundred kB each. By default glibc maps an array that size afresh
    from the system and gives it back once freed, and each block touches its pages anew: about
    1300 page faults and 3 ms of system time a plant-month, a tenth of its run. Here they are
    taken from the heap and freed memory stays for the next block, up to 128 MiB of it; the
    numbers drawn are the same. Without glibc nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return  # not glibc (musl has no mallopt)
    mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
    mallopt(_M_TRIM_THRESHOLD, 128 * 2**20)


WornLayers = dict[tuple[int, int], tuple[Equipment[Any], RecipeStep, list[Worn]]]
"""Layers whose rates wait for their tool's counters, by (tool, step)."""


@dataclass
class Evaluation:
    """Per-roll outcome arrays of one block (areas in m², escape area in mm²)."""

    started_m2: np.ndarray
    good_m2: np.ndarray
    edge_trim_m2: np.ndarray
    downgraded_m2: np.ndarray
    cut_by_cause_m2: np.ndarray
    """Rolls × causes (see :data:`~twin.engine.quality.defects.CAUSES`)."""
    escapes: np.ndarray
    escape_area_mm2: np.ndarray


def settle(worn: WornLayers, rates: RateTable) -> None:
    """Give layers whose rates depend on the tool's condition their rate rows.

    One call of the station's ``defect_rates`` per (tool, step) with the counters of all its
    layers as arrays, rather than two calls per roll while the run goes on.
    """
    for equipment, step, layers in worn.values():
        starts = {c: np.array([before[c] for _, before, _ in layers]) for c in layers[0][1]}
        ends = {c: np.array([after[c] for _, _, after in layers]) for c in starts}
        first = rate_rows(equipment.defect_rates(step, starts), len(layers))
        last = rate_rows(equipment.defect_rates(step, ends), len(layers))
        # where maintenance reset a counter mid-roll, the roll sees the mean of the two
        reset = np.zeros(len(layers), dtype=bool)
        for counter, start in starts.items():
            reset |= ends[counter] < start
        first[reset] = last[reset] = (first[reset] + last[reset]) / 2
        for (layer, _, _), a, b in zip(
            layers, rates.add_rows(first), rates.add_rows(last), strict=True
        ):
            layer.rates_start, layer.rates_end = int(a), int(b)
    worn.clear()


def _layout(
    rolls: Sequence[Any], width: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each roll's lanes, lane width (mm), edge trim (mm) and cut-out length (m)."""
    n = len(rolls)
    lanes = np.ones(n, dtype=np.int64)
    lane_width = width * 1000
    trim = np.zeros(n)
    cut_out = np.full(n, DEFAULT_CUT_OUT_M)
    for i, roll in enumerate(rolls):
        layout = roll.quality.slitting
        if layout is not None:
            lanes[i], lane_width[i], trim[i], cut_out[i] = (
                layout.lanes,
                layout.lane_width_mm,
                layout.edge_trim_mm,
                layout.cut_out_m,
            )
    return lanes, lane_width, trim, cut_out


def evaluate_block(
    rolls: Sequence[Any],
    rates: RateTable,
    rng: np.random.Generator,
    max_defects_per_m2: dict[str, float],
    sizes: tuple[int, int],
) -> Evaluation:
    """Draw, inspect and slit ``rolls`` in one vectorised pass; their per-roll outcomes.

    Each roll keeps its defects and lane rolls for tracing; ``sizes`` is the (seed,
    replication) of the streams that its marked defects' sizes come from when traced.
    """
    n = len(rolls)
    length = np.array([r.length_m for r in rolls])
    width = np.array([r.width_m for r in rolls])
    points, stretches = lay(rolls, length, width, rates, rng)
    alarms = look(rolls, stretches, length, width, rng)
    defects, roll_of = concat([*points, *stretches, *alarms])
    del points, stretches, alarms  # the parts' arrays, copied into one
    lanes, lane_width, trim, cut_out = _layout(rolls, width)
    spec = np.array([max_defects_per_m2[roll.product] for roll in rolls])
    layouts = Layouts(length, lanes, lane_width, trim, cut_out, spec)
    slitting = slit_rolls(defects, roll_of, layouts)
    max_lanes = int(slitting["max_lanes"][0])
    per_roll = lane_width / 1000

    def by_roll(values: np.ndarray) -> np.ndarray:
        return values.reshape(n, max_lanes).sum(axis=1) if n else np.zeros(0)

    good = by_roll(slitting["good_length_m"] * slitting["good"]) * per_roll
    all_lanes = by_roll(slitting["good_length_m"]) * per_roll
    cut_area = by_roll(slitting["cut_m"]) * per_roll
    # each marked defect's share of its roll's cut length by cause: a stretch by its length, a
    # point defect as half a metre (most defects are marked: weighing the others 0 costs less
    # than gathering the marked ones)
    lengths = defects.length_m
    weights = np.where(lengths > 0, lengths, 0.5)
    weights[~defects.marked] = 0.0
    cells = roll_of * len(CAUSES)
    cells += defects.type
    by_cause = np.bincount(cells, weights=weights, minlength=n * len(CAUSES)).reshape(
        n, len(CAUSES)
    )
    totals = by_cause.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, by_cause / np.where(totals > 0, totals, 1), 0.0)
    widths = lane_width.tolist()
    for i, roll in enumerate(rolls):
        roll.quality.evaluated = (defects, roll_of, i, (*sizes, f"sizes:{roll.id}"))
        roll.quality.slit_result = (slitting, i, roll.id, widths[i])
    return Evaluation(
        started_m2=length * width,
        good_m2=good,
        edge_trim_m2=length * np.maximum(width * 1000 - lanes * lane_width, 0.0) / 1000,
        downgraded_m2=all_lanes - good,
        cut_by_cause_m2=shares * cut_area[:, None],
        escapes=by_roll(slitting["escapes"]),
        escape_area_mm2=by_roll(slitting["escape_area_mm2"]),
    )
