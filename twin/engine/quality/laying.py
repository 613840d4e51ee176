"""Laying defects: each layer's point defects and excursions, and the stretches across the web.

A layer's defects of a type are a Poisson process over the roll's area. Where a later inspection
looks, they are two independent Poisson processes (thinning): those it marks, with probability
1 - Π(1 - p) over the later looks, and those it misses, so detection needs no draw per defect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stations import DefectType
from twin.engine.quality.defects import CODE, POINT_CODES, POINT_TYPES, Defects, Part, draw_sizes
from twin.engine.quality.inspection import inspections
from twin.engine.quality.rates import RateTable
from twin.engine.quality.records import LayerColumns, layer_columns


def lay(
    rolls: Sequence[Any],
    length: np.ndarray,
    width: np.ndarray,
    rates: RateTable,
    rng: np.random.Generator,
) -> tuple[list[Part], list[Part]]:
    """Every roll's point defects (already inspected), and its excursions and stretches."""
    layers = layer_columns(rolls)
    points: list[Part] = []
    parts: list[Part] = []
    if len(layers):
        points.append(_points(rolls, layers, length, width, rates, rng))
        excursions = _excursions(layers, length, rng)
        if excursions is not None:
            parts.append(excursions)
    stretches = _stretches(rolls)
    if stretches is not None:
        parts.append(stretches)
    return points, parts


def _missed(rolls: Sequence[Any], roll_idx: np.ndarray, seqs: np.ndarray, shape: Any) -> Any:
    """Per layer and point type, the chance that every later inspection misses a defect."""
    missed = np.ones(shape)
    for _, look_seq, detection in inspections(rolls):
        later = look_seq[roll_idx] > seqs
        missed[later] *= 1 - detection[roll_idx[later]][:, POINT_CODES]
    return missed


def _points(
    rolls: Sequence[Any],
    layers: LayerColumns,
    length: np.ndarray,
    width: np.ndarray,
    rates: RateTable,
    rng: np.random.Generator,
) -> Part:
    """The layers' point defects, marked by the inspections after them or not."""
    roll_idx, seqs = layers.roll, layers.seq
    a = rates.rows[layers.rates_start]
    b = rates.rows[layers.rates_end]
    missed = _missed(rolls, roll_idx, seqs, a.shape)
    mean = (a + b) / 2 * (length * width)[roll_idx][:, None]
    counts = rng.poisson(np.stack([mean * (1 - missed), mean * missed])).ravel()
    cells = a.size
    total = int(counts.sum())

    def per_defect(per_cell: np.ndarray) -> np.ndarray:
        """What each defect takes from its cell (layer × type).

        The marked defects come first, then the missed ones, each cell's in a run: a repeat of
        the per-cell values, where indexing them by each defect's cell would gather.
        """
        return np.repeat(np.tile(per_cell, 2), counts)

    layer_of = np.arange(cells) // len(POINT_TYPES)
    flips = layers.reversed
    cell_roll = roll_idx[layer_of]
    s = rng.random(total)
    # offsets under an intensity rising linearly from a to b along the roll (inverse CDF), for
    # the defects whose rate changes along it; the rest are uniform
    slope = b - a
    rising = (np.abs(slope) > 1e-12 * a).ravel()
    if rising.any():
        # per cell first, then per defect: (sqrt(a² + d(2a + d)u) - a) / d, kept where the
        # rate changes (most defects lie in such cells: a repeat of the cell's values costs
        # less than a gather of the defects')
        a_cell, d_cell = a.ravel(), slope.ravel()
        square, spread = a_cell * a_cell, d_cell * (2 * a_cell + d_cell)
        with np.errstate(divide="ignore", invalid="ignore"):
            root = per_defect(spread)
            root *= s
            root += per_defect(square)
            np.sqrt(root, out=root)
            root -= per_defect(a_cell)
            root /= per_defect(d_cell)
        np.copyto(s, root, where=per_defect(rising))
    codes = per_defect(POINT_CODES[np.arange(cells) % len(POINT_TYPES)])
    rolls_of = per_defect(cell_roll)
    roll_length = per_defect(length[cell_roll])
    s *= roll_length  # the offset from the leading end
    np.subtract(roll_length, s, out=s, where=per_defect(flips[layer_of]))
    del roll_length
    marked = int(counts[:cells].sum())
    # only unmarked defects' sizes count (escapes); marked ones are drawn when traced
    sizes = np.full(total, np.nan)
    sizes[marked:] = draw_sizes(rng, codes[marked:])
    cross = rng.random(total)
    cross *= per_defect(width[cell_roll])
    cross *= 1000
    is_marked = np.zeros(total, dtype=bool)
    is_marked[:marked] = True
    defects = Defects(
        pos_m=s,
        cross_mm=cross,
        type=codes,
        size_mm=sizes,
        length_m=np.zeros(total),
        marked=is_marked,
        seq=per_defect(seqs[layer_of]),
    )
    return defects, rolls_of


def _excursions(layers: LayerColumns, length: np.ndarray, rng: np.random.Generator) -> Part | None:
    """Temperature excursions: each puts the heated length of its layer out of specification."""
    expected = layers.deviations
    if not expected.any():
        return None
    roll_idx, seqs, flips = layers.roll, layers.seq, layers.reversed
    excursions = rng.poisson(expected)
    m = int(excursions.sum())
    which = np.repeat(np.arange(len(layers)), excursions)
    rolls_of = roll_idx[which]
    spans = layers.deviation_m[which]
    spans = np.minimum(spans, length[rolls_of])
    offset = rng.random(m) * (length[rolls_of] - spans)
    defects = Defects(
        pos_m=np.where(flips[which], length[rolls_of] - offset - spans, offset),
        cross_mm=np.zeros(m),
        type=np.full(m, CODE[DefectType.THICKNESS]),
        size_mm=np.zeros(m),
        length_m=spans,
        marked=np.zeros(m, dtype=bool),
        seq=seqs[which],
    )
    return defects, rolls_of


def _stretches(rolls: Sequence[Any]) -> Part | None:
    """Stretches recorded during the run: start-ups, web breaks, air exposure."""
    stretches = [(i, st) for i, roll in enumerate(rolls) for st in roll.quality.stretches]
    if not stretches:
        return None
    m = len(stretches)
    defects = Defects(
        pos_m=np.array([st.pos_m for _, st in stretches]),
        cross_mm=np.zeros(m),
        type=np.array([st.code for _, st in stretches]),
        size_mm=np.zeros(m),
        length_m=np.array([st.length_m for _, st in stretches]),
        marked=np.array([st.marked for _, st in stretches]),
        seq=np.array([st.seq for _, st in stretches]),
    )
    return defects, np.array([i for i, _ in stretches])
