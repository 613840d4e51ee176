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

    Keys are laid side by side on one line, ``span`` apart, so one sort merges them all.
    """
    if len(starts) == 0:
        empty = np.zeros(0)
        return empty, empty, np.zeros(0, dtype=np.int64)
    line_start = keys * span + starts
    order = np.argsort(line_start)
    s = line_start[order]
    reach = np.maximum.accumulate((keys * span + ends)[order])
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    new[1:] = s[1:] > reach[:-1]
    first = np.flatnonzero(new)
    # a group's end is the running maximum at its last interval
    group_end = reach[np.append(first[1:] - 1, len(s) - 1)]
    merged_start = s[first]
    merged_keys = keys[order[first]]
    return merged_start, group_end, merged_keys


def slit_rolls(
    defects: Defects,
    roll_of: np.ndarray,
    length_m: np.ndarray,
    lanes: np.ndarray,
    lane_width_mm: np.ndarray,
    edge_trim_mm: np.ndarray,
    cut_out_m: np.ndarray,
    max_defects_per_m2: np.ndarray,
) -> dict[str, np.ndarray]:
    """Slit many rolls at once; per (roll, lane): cut length, good length, verdict, escapes.

    Lane ``k`` of a roll spans ``trim + k·w`` to ``trim + (k+1)·w`` across the web (mm). A marked
    point defect cuts its lane over the cut-out length centred on it; a marked stretch cuts every
    lane over its length. Unmarked defects outside the cuts stay in their lane roll: a lane roll
    with more per m² than the specification is downgraded, and in a good one they are escapes.
    Arrays indexed by roll describe each roll; the result is indexed by ``roll · L + lane`` with
    ``L = lanes.max()``.
    """
    n_rolls = len(length_m)
    max_lanes = int(lanes.max()) if n_rolls else 1
    span = float(length_m.max()) + 1.0 if n_rolls else 1.0
    n_keys = n_rolls * max_lanes
    point = defects.length_m == 0
    lane = np.floor((defects.cross_mm - edge_trim_mm[roll_of]) / lane_width_mm[roll_of])
    lane = lane.astype(np.int64)
    in_lane = point & (lane >= 0) & (lane < lanes[roll_of])
    # stretches across the web belong to every lane of their roll
    stretch_idx = np.flatnonzero(~point)
    copies = lanes[roll_of[stretch_idx]]
    stretch_rows = np.repeat(stretch_idx, copies)
    stretch_lanes = np.arange(len(stretch_rows)) - np.repeat(np.cumsum(copies) - copies, copies)
    stretch_marked = defects.marked[stretch_rows]

    def in_lanes(marked: bool) -> tuple[np.ndarray, np.ndarray]:
        """The marked (or unmarked) defects in a lane, stretches once per lane: rows, keys."""
        points = np.flatnonzero(in_lane & (defects.marked == marked))
        stretches = stretch_marked == marked
        rows = np.concatenate([points, stretch_rows[stretches]])
        keys = roll_of[rows] * max_lanes
        keys += np.concatenate([lane[points], stretch_lanes[stretches]])
        return rows, keys

    rows, keys = in_lanes(True)
    starts = defects.pos_m[rows]
    ends = starts.copy()
    spans = defects.length_m[rows]
    half = cut_out_m[roll_of[rows]] / 2
    half[spans > 0] = 0.0
    starts -= half
    ends += half
    ends += spans
    roll_length = length_m[roll_of[rows]]
    np.clip(starts, 0, roll_length, out=starts)
    np.clip(ends, 0, roll_length, out=ends)
    del half, spans, roll_length
    m_start, m_end, m_key = _union(keys, starts, ends, span)
    cut = np.bincount(m_key, weights=m_end - m_start, minlength=n_keys)
    # unmarked defects not inside a cut of their own lane
    rows, keys = in_lanes(False)
    line_pos = keys * span + defects.pos_m[rows]
    index = np.searchsorted(m_start, line_pos, side="right") - 1
    covered = np.zeros(len(line_pos), dtype=bool)
    ok = index >= 0
    covered[ok] = line_pos[ok] <= m_end[index[ok]]
    left_keys = keys[~covered]
    left_rows = rows[~covered]
    count = np.bincount(left_keys, minlength=n_keys)
    sizes = defects.size_mm[left_rows]
    lengths = defects.length_m[left_rows]
    widths = lane_width_mm[roll_of[left_rows]]
    area = np.where(lengths > 0, lengths * 1000 * widths, sizes * sizes)
    escape_area = np.bincount(left_keys, weights=area, minlength=n_keys)
    roll_of_key = np.repeat(np.arange(n_rolls), max_lanes)
    lane_of_key = np.tile(np.arange(max_lanes), n_rolls)
    exists = lane_of_key < lanes[roll_of_key]
    good_length = np.maximum(length_m[roll_of_key] - cut, 0.0) * exists
    lane_area = good_length * lane_width_mm[roll_of_key] / 1000
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(lane_area > 0, count / np.where(lane_area > 0, lane_area, 1), np.inf)
    good = exists & (lane_area > 0) & (density <= max_defects_per_m2[roll_of_key])
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
    lanes = slit_rolls(
        defects,
        np.zeros(len(defects), dtype=np.int64),
        np.array([length_m]),
        np.array([step.lanes]),
        np.array([step.lane_width_mm]),
        np.array([step.edge_trim_mm]),
        np.array([cut_out_m]),
        np.array([max_defects_per_m2]),
    )
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
