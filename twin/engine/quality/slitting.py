"""Slitting rolls into lane rolls: cut-outs around marked defects, verdicts and escapes.

Lane ``k`` of a roll spans ``trim + k·w`` to ``trim + (k+1)·w`` across the web (mm). A marked point
defect cuts its lane over the cut-out length centred on it; a marked stretch cuts every lane over
its length. Unmarked defects outside the cuts stay in their lane roll: a lane roll with more per m²
than the product's specification is downgraded, and in a good one they are escapes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stations.slitting import SlittingStep
from twin.engine.quality.defects import Defects

DEFAULT_CUT_OUT_M = 0.5
"""Cut-out length where a roll is not slit (it is one lane of the full width)."""


@dataclass(slots=True)
class LaneRoll:
    """One lane of a slit roll: its width, its good length after cut-outs, and its verdict."""

    id: str
    lane: int
    width_mm: float
    length_m: float
    cut_m: float
    good: bool
    unmarked_defects: int
    escapes: int
    escape_area_mm2: float


def _union(
    keys: np.ndarray, starts: np.ndarray, ends: np.ndarray, span: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge intervals that share a key: (merged starts, merged ends, their keys).

    Keys are laid side by side on one line, ``span`` apart, so one sort merges them all. The
    starts and the ends are sorted each on their own: the union has a gap after the i-th
    smallest end exactly when it is below the (i+1)-th smallest start, and a merged interval
    ends at the largest end before its gap.
    """
    if len(starts) == 0:
        empty = np.zeros(0)
        return empty, empty, np.zeros(0, dtype=np.int64)
    offset = keys * span
    s = np.sort(offset + starts)
    e = np.sort(offset + ends)
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    np.greater(s[1:], e[:-1], out=new[1:])
    first = np.flatnonzero(new)
    last = np.empty_like(first)
    last[:-1] = first[1:] - 1
    last[-1] = len(s) - 1
    merged_start = s[first]
    # a start lies within its key's stretch of the line, less than ``span`` from its origin
    merged_keys = (merged_start / span).astype(np.int64)
    return merged_start, e[last], merged_keys


@dataclass(slots=True)
class Layouts:
    """How each of many rolls is slit: one entry per roll."""

    length_m: np.ndarray
    lanes: np.ndarray
    lane_width_mm: np.ndarray
    edge_trim_mm: np.ndarray
    cut_out_m: np.ndarray
    max_defects_per_m2: np.ndarray

    @property
    def max_lanes(self) -> int:
        """The most lanes of any roll (1 when there are no rolls)."""
        return int(self.lanes.max()) if len(self.lanes) else 1


class _InLanes:
    """Which lane each defect lies in; a stretch across the web lies in every lane of its roll.

    A (roll, lane) pair is a *key*, ``roll · L + lane`` with ``L`` the most lanes of any roll.
    """

    def __init__(self, defects: Defects, roll_of: np.ndarray, layouts: Layouts) -> None:
        self.defects, self.roll_of, self.max_lanes = defects, roll_of, layouts.max_lanes
        point = defects.length_m == 0
        width, trim = layouts.lane_width_mm[roll_of], layouts.edge_trim_mm[roll_of]
        self.lane = np.floor((defects.cross_mm - trim) / width).astype(np.int64)
        self.in_lane = point & (self.lane >= 0) & (self.lane < layouts.lanes[roll_of])
        stretch_idx = np.flatnonzero(~point)
        copies = layouts.lanes[roll_of[stretch_idx]]
        self.stretch_rows = np.repeat(stretch_idx, copies)
        starts = np.repeat(np.cumsum(copies) - copies, copies)
        self.stretch_lanes = np.arange(len(self.stretch_rows)) - starts
        self.stretch_marked = defects.marked[self.stretch_rows]

    def rows(self, marked: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The marked (or unmarked) defects in a lane: rows, their rolls, keys.

        A stretch across the web is in every lane of its roll, once per lane.
        """
        points = np.flatnonzero(self.in_lane & (self.defects.marked == marked))
        stretches = self.stretch_marked == marked
        rows = np.concatenate([points, self.stretch_rows[stretches]])
        owner = self.roll_of[rows]
        keys = owner * self.max_lanes
        keys += np.concatenate([self.lane[points], self.stretch_lanes[stretches]])
        return rows, owner, keys


def _cuts(
    found: _InLanes, layouts: Layouts, span: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cut-outs around marked defects, merged per lane: starts, ends (on one line), keys."""
    defects = found.defects
    rows, owner, keys = found.rows(True)
    starts = defects.pos_m[rows]
    ends = starts.copy()
    spans = defects.length_m[rows]
    half = (layouts.cut_out_m / 2)[owner]
    half[spans > 0] = 0.0
    starts -= half
    ends += half
    ends += spans
    roll_length = layouts.length_m[owner]
    for bound in (starts, ends):  # clipped to the roll, [0, length]
        np.maximum(bound, 0.0, out=bound)
        np.minimum(bound, roll_length, out=bound)
    return _union(keys, starts, ends, span)


def _left_in(
    found: _InLanes, layouts: Layouts, cuts: tuple[np.ndarray, np.ndarray, np.ndarray], span: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per key, the unmarked defects outside the cuts of their lane, and their area (mm²)."""
    defects = found.defects
    n_keys = len(layouts.length_m) * found.max_lanes
    m_start, m_end, _ = cuts
    rows, owner, keys = found.rows(False)
    line_pos = keys * span + defects.pos_m[rows]
    index = np.searchsorted(m_start, line_pos, side="right") - 1
    covered = np.zeros(len(line_pos), dtype=bool)
    ok = index >= 0
    covered[ok] = line_pos[ok] <= m_end[index[ok]]
    left = ~covered
    left_keys = keys[left]
    left_rows = rows[left]
    count = np.bincount(left_keys, minlength=n_keys)
    sizes = defects.size_mm[left_rows]
    lengths = defects.length_m[left_rows]
    widths = layouts.lane_width_mm[owner[left]]
    area = np.where(lengths > 0, lengths * 1000 * widths, sizes * sizes)
    return count, np.bincount(left_keys, weights=area, minlength=n_keys)


def slit_rolls(defects: Defects, roll_of: np.ndarray, layouts: Layouts) -> dict[str, np.ndarray]:
    """Slit many rolls at once; per (roll, lane): cut length, good length, verdict, escapes.

    A marked point defect cuts its lane over the cut-out length centred on it; a marked stretch
    cuts every lane over its length. Unmarked defects outside the cuts stay in their lane roll:
    a lane roll with more per m² than the specification is downgraded, and in a good one they
    are escapes. The result is indexed by ``roll · L + lane`` with ``L`` the most lanes.
    """
    n_rolls, max_lanes = len(layouts.length_m), layouts.max_lanes
    span = float(layouts.length_m.max()) + 1.0 if n_rolls else 1.0
    found = _InLanes(defects, roll_of, layouts)
    cuts = _cuts(found, layouts, span)
    cut = np.bincount(cuts[2], weights=cuts[1] - cuts[0], minlength=n_rolls * max_lanes)
    count, escape_area = _left_in(found, layouts, cuts, span)
    roll_of_key = np.repeat(np.arange(n_rolls), max_lanes)
    lane_of_key = np.tile(np.arange(max_lanes), n_rolls)
    exists = lane_of_key < layouts.lanes[roll_of_key]
    good_length = np.maximum(layouts.length_m[roll_of_key] - cut, 0.0) * exists
    lane_area = good_length * layouts.lane_width_mm[roll_of_key] / 1000
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(lane_area > 0, count / np.where(lane_area > 0, lane_area, 1), np.inf)
    good = exists & (lane_area > 0) & (density <= layouts.max_defects_per_m2[roll_of_key])
    return {
        "exists": exists,
        "cut_m": cut * exists,
        "good_length_m": good_length,
        "lane_area_m2": lane_area,
        "good": good,
        "unmarked": count,
        "escapes": np.where(good, count, 0),
        "escape_area_mm2": np.where(good, escape_area, 0.0),
        "max_lanes": np.array([max_lanes]),
    }


def slit(
    defects: Defects,
    length_m: float,
    step: SlittingStep,
    cut_out_m: float,
    max_defects_per_m2: float,
    roll_id: str,
) -> list[LaneRoll]:
    """Slit one roll (see :func:`slit_rolls`) into its lane rolls."""
    layouts = Layouts(
        np.array([length_m]),
        np.array([step.lanes]),
        np.array([step.lane_width_mm]),
        np.array([step.edge_trim_mm]),
        np.array([cut_out_m]),
        np.array([max_defects_per_m2]),
    )
    lanes = slit_rolls(defects, np.zeros(len(defects), dtype=np.int64), layouts)
    return lane_rolls(lanes, 0, roll_id, step.lane_width_mm)


def lane_rolls(
    lanes: dict[str, np.ndarray], roll: int, roll_id: str, width_mm: float
) -> list[LaneRoll]:
    """Roll ``roll``'s lane rolls from :func:`slit_rolls`' arrays ``lanes``."""
    max_lanes = int(lanes["max_lanes"][0])
    result = []
    for k in range(max_lanes):
        key = roll * max_lanes + k
        if not lanes["exists"][key]:
            break
        result.append(
            LaneRoll(
                id=f"{roll_id}.L{k + 1}",
                lane=k + 1,
                width_mm=width_mm,
                length_m=float(lanes["good_length_m"][key]),
                cut_m=float(lanes["cut_m"][key]),
                good=bool(lanes["good"][key]),
                unmarked_defects=int(lanes["unmarked"][key]),
                escapes=int(lanes["escapes"][key]),
                escape_area_mm2=float(lanes["escape_area_mm2"][key]),
            )
        )
    return result
