"""Quality along the web: defects laid by stations, inspection, slitting into lanes, escapes.

Defects are spatial Poisson processes over the web area. When a station has processed a roll, one
vectorised numpy draw lays all of that station's defects on it (never one event per metre). A
defect has a position along the roll (m), a cross-web position (mm), a type, a size, the station
and the time it came from. Positions are kept in the roll's own frame (metres from the end that
was outside when the foil was first unwound), so they follow the web through rewinds: each rewind
reverses the roll, and a station at offset s from the leading end marks position s or L - s.

An inspection point marks each defect with its type's detection probability and adds false
alarms. The slitter cuts the web into lanes; a lane stretch with a marked defect is cut out, and a
lane roll whose unmarked defects exceed the product's density is downgraded. Unmarked defects left
in a good lane roll are escapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from stations import DefectType, RecipeStep
from stations.base import DEFECT_SIZE_MM
from stations.li_evaporation import LithiumEvaporator, LithiumStep
from stations.recipe import has_supplemental
from stations.slitting import Slitter, SlittingStep
from twin.engine.streams import stream

if TYPE_CHECKING:
    from twin.engine.plant import Plant, Roll, StationUnit

TYPES: tuple[DefectType, ...] = tuple(DefectType)
CODE = {t: i for i, t in enumerate(TYPES)}
POINT_TYPES = np.array(
    [CODE[t] for t in TYPES if t not in (DefectType.WEB_BREAK, DefectType.AIR_EXPOSURE)]
)
"""Types a station lays as a Poisson process over area (web breaks stop the line instead)."""
SIZE_MM = np.array([DEFECT_SIZE_MM[t] for t in TYPES])
SIZE_CV = 0.5
FALSE_ALARM = -1
"""Type code of a false alarm: a mark with no defect under it."""

DEFECT_DTYPE = np.dtype(
    [
        ("pos_m", "f8"),
        ("cross_mm", "f8"),
        ("type", "i1"),
        ("size_mm", "f8"),
        ("length_m", "f8"),
        ("station", "i2"),
        ("time", "f8"),
        ("marked", "?"),
    ]
)
"""One defect: position in the roll's frame, cross-web position, type code, size, length (0 for a
point defect; a stretch across the width otherwise), station index, time, marked by inspection."""


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


@dataclass(slots=True)
class RollQuality:
    """What quality has done to a roll so far."""

    defects: np.ndarray = field(default_factory=lambda: np.zeros(0, DEFECT_DTYPE))
    reversed: bool = False
    exposed_lithium: float = 0.0
    """Sticking rate per m² of an unprotected prelithiated surface, 0 when protected."""
    supplemental: bool = False
    """A supplemental layer is on the web (lithium laid onto it does not stick, 000 step 813)."""
    lanes: list[LaneRoll] = field(default_factory=list)
    genealogy: list[dict[str, Any]] = field(default_factory=list)


def union_length(starts: np.ndarray, ends: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Total length covered by intervals, and the merged intervals' starts and ends."""
    if len(starts) == 0:
        return 0.0, starts, ends
    order = np.argsort(starts)
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    new[1:] = s[1:] > reach[:-1]
    group = np.cumsum(new) - 1
    merged_s = s[new]
    merged_e = np.zeros(len(merged_s))
    np.maximum.at(merged_e, group, reach)
    return float((merged_e - merged_s).sum()), merged_s, merged_e


def inside(points: np.ndarray, merged_s: np.ndarray, merged_e: np.ndarray) -> np.ndarray:
    """Which points fall inside the merged intervals."""
    if len(merged_s) == 0:
        return np.zeros(len(points), dtype=bool)
    index = np.searchsorted(merged_s, points, side="right") - 1
    ok = index >= 0
    result = np.zeros(len(points), dtype=bool)
    result[ok] = points[ok] <= merged_e[index[ok]]
    return result


def slit(
    defects: np.ndarray,
    length_m: float,
    step: SlittingStep,
    cut_out_m: float,
    max_defects_per_m2: float,
    roll_id: str,
) -> list[LaneRoll]:
    """Cut a roll into lanes; cut out marked stretches; downgrade dense lanes; count escapes.

    Lane ``k`` spans ``edge_trim + k·w`` to ``edge_trim + (k+1)·w`` across the web (mm). A marked
    point defect cuts its lane over ``cut_out_m`` centred on it; a marked stretch cuts every lane
    over its length. Unmarked defects outside the cuts stay in the lane roll.
    """
    width = step.lane_width_mm
    trim = step.edge_trim_mm
    lanes = []
    point = defects["length_m"] == 0
    marked = defects["marked"]
    lane_of = np.floor((defects["cross_mm"] - trim) / width).astype(int)
    stretch = ~point & marked
    for lane in range(step.lanes):
        hit = point & marked & (lane_of == lane)
        starts = np.concatenate([defects["pos_m"][hit] - cut_out_m / 2, defects["pos_m"][stretch]])
        ends = np.concatenate(
            [
                defects["pos_m"][hit] + cut_out_m / 2,
                defects["pos_m"][stretch] + defects["length_m"][stretch],
            ]
        )
        starts, ends = np.clip(starts, 0, length_m), np.clip(ends, 0, length_m)
        cut, merged_s, merged_e = union_length(starts, ends)
        good_length = max(length_m - cut, 0.0)
        mine = ~marked & (((lane_of == lane) & point) | ~point)
        positions = defects["pos_m"][mine]
        left = mine.copy()
        left[mine] = ~inside(positions, merged_s, merged_e)
        count = int(left.sum())
        area_m2 = good_length * width / 1000
        good = area_m2 > 0 and count / area_m2 <= max_defects_per_m2
        escape_area = 0.0
        if good and count:
            sizes = defects["size_mm"][left]
            lengths = defects["length_m"][left]
            escape_area = float(np.where(lengths > 0, lengths * 1000 * width, sizes * sizes).sum())
        lanes.append(
            LaneRoll(
                id=f"{roll_id}.L{lane + 1}",
                lane=lane + 1,
                width_mm=width,
                length_m=good_length,
                cut_m=cut,
                good=bool(good),
                unmarked_defects=count,
                escapes=count if good else 0,
                escape_area_mm2=escape_area,
            )
        )
    return lanes


class QualityModel:
    """Lays, inspects and slits defects for one replication of a plant."""

    def __init__(self, plant: Plant) -> None:
        self.plant = plant
        self.streams: dict[str, np.random.Generator] = {}
        self.station_index: dict[str, int] = {}
        self.station_names: list[str] = []
        self.scrap_m2: dict[str, dict[str, float]] = {}
        self._rates: dict[tuple[int, int], np.ndarray] = {}

    def _rng(self, unit: StationUnit) -> np.random.Generator:
        rng = self.streams.get(unit.name)
        if rng is None:
            rng = stream(self.plant.seed, self.plant.replication, f"defects:{unit.name}")
            self.streams[unit.name] = rng
            self.station_index[unit.name] = len(self.station_names)
            self.station_names.append(unit.name)
        return rng

    # ------------------------------------------------------------------ laying
    def _frame(self, quality: RollQuality, length: float, offset: np.ndarray, span: np.ndarray
               ) -> np.ndarray:  # fmt: skip
        """Positions in the roll's frame for offsets from the current leading end."""
        return length - offset - span if quality.reversed else offset

    def _append(self, roll: Roll, new: np.ndarray) -> None:
        if len(new):
            roll.quality.defects = np.concatenate([roll.quality.defects, new])

    def _stretch(
        self, roll: Roll, unit: StationUnit, kind: DefectType, offset: float, length: float,
        marked: bool,
    ) -> None:  # fmt: skip
        length = min(length, roll.length_m - offset) if offset < roll.length_m else 0.0
        if length <= 0:
            return
        self._rng(unit)
        defect = np.zeros(1, DEFECT_DTYPE)
        defect["pos_m"] = self._frame(
            roll.quality, roll.length_m, np.array([offset]), np.array([length])
        )
        defect["type"] = CODE[kind]
        defect["length_m"] = length
        defect["station"] = self.station_index[unit.name]
        defect["time"] = self.plant.env.now
        defect["marked"] = marked
        self._append(roll, defect)

    def restart(self, roll: Roll, unit: StationUnit, offset: float) -> None:
        """A standstill mid-roll: the start-up length at ``offset`` is out of specification."""
        self._stretch(
            roll, unit, DefectType.THICKNESS, offset, unit.equipment.startup_length_m, False
        )

    def web_break(self, roll: Roll, unit: StationUnit, offset: float) -> None:
        """A web break at ``offset``: the lost length is marked (a break is never missed)."""
        self._stretch(
            roll, unit, DefectType.WEB_BREAK, offset, unit.equipment.web_break_loss_m, True
        )

    def expose(self, roll: Roll) -> None:
        """The roll waited past its limit: the whole roll is air-exposed (002, 003, 004)."""
        defect = np.zeros(1, DEFECT_DTYPE)
        defect["type"] = CODE[DefectType.AIR_EXPOSURE]
        defect["length_m"] = roll.length_m
        defect["time"] = self.plant.env.now
        defect["station"] = -1
        defect["marked"] = True
        self._append(roll, defect)

    def processed(
        self,
        roll: Roll,
        unit: StationUnit,
        step: RecipeStep,
        entered: float,
        usage_before: dict[str, float],
        speed_m_min: float,
    ) -> None:
        """``unit`` has processed ``roll`` with ``step``: lay its defects in one draw."""
        rng = self._rng(unit)
        equipment = unit.equipment
        length, width_m = roll.length_m, roll.width_m
        usage_after = dict(unit.usage)
        first = equipment.defect_rates(step, usage_before)
        last = equipment.defect_rates(step, usage_after) if usage_after != usage_before else first
        r0 = np.array([first.get(TYPES[c], 0.0) for c in POINT_TYPES])
        r1 = np.array([last.get(TYPES[c], 0.0) for c in POINT_TYPES])
        if any(usage_after[k] < usage_before.get(k, 0.0) for k in usage_after):
            r0 = r1 = (r0 + r1) / 2  # a maintenance reset mid-roll: the mean rate
        counts = rng.poisson((r0 + r1) / 2 * length * width_m)
        total = int(counts.sum())
        parts = []
        if total:
            codes = np.repeat(POINT_TYPES, counts)
            a, b = np.repeat(r0, counts), np.repeat(r1, counts)
            u = rng.random(total)
            # positions under an intensity rising linearly from a to b along the roll
            slope = b - a
            offset = (
                np.where(
                    np.abs(slope) > 1e-15 * np.maximum(a, 1e-300),
                    (np.sqrt(a * a + slope * (2 * a + slope) * u) - a)
                    / np.where(slope == 0, 1, slope),
                    u,
                )
                * length
            )
            chunk = np.zeros(total, DEFECT_DTYPE)
            chunk["pos_m"] = self._frame(roll.quality, length, offset, np.zeros(total))
            chunk["cross_mm"] = rng.random(total) * width_m * 1000
            chunk["type"] = codes
            sigma2 = math.log1p(SIZE_CV**2)
            chunk["size_mm"] = SIZE_MM[codes] * rng.lognormal(-sigma2 / 2, math.sqrt(sigma2), total)
            chunk["time"] = entered + (self.plant.env.now - entered) * offset / length
            parts.append(chunk)
        deviations = equipment.temperature_deviations_per_h(step)
        if deviations > 0:
            hours = length / speed_m_min / 60
            n = int(rng.poisson(deviations * hours))
            if n:
                span = min(equipment.deviation_length_m(), length)
                offset = rng.random(n) * (length - span)
                chunk = np.zeros(n, DEFECT_DTYPE)
                chunk["pos_m"] = self._frame(roll.quality, length, offset, np.full(n, span))
                chunk["type"] = CODE[DefectType.THICKNESS]
                chunk["length_m"] = span
                chunk["time"] = entered + (self.plant.env.now - entered) * offset / length
                parts.append(chunk)
        if parts:
            new = np.concatenate(parts)
            new["station"] = self.station_index[unit.name]
            self._append(roll, new)
        if isinstance(step, LithiumStep) and step.role == "prelithiation":
            assert isinstance(equipment, LithiumEvaporator)
            if not roll.quality.supplemental:
                roll.quality.exposed_lithium = equipment.sticking_per_m2
        elif has_supplemental(step):
            roll.quality.supplemental = True
            roll.quality.exposed_lithium = 0.0
        inspection = unit.spec.inspection
        if inspection is not None:
            self._inspect(roll, unit, rng, inspection.detection, inspection.false_alarms_per_m2)
        if isinstance(step, SlittingStep):
            assert isinstance(equipment, Slitter)
            product = self.plant.scenario.product(roll.product)
            roll.quality.lanes = slit(
                roll.quality.defects,
                length,
                step,
                equipment.cut_out_length_m,
                product.max_defects_per_m2,
                roll.id,
            )
        roll.quality.genealogy.append(
            {
                "station": unit.name,
                "start_min": entered,
                "end_min": self.plant.env.now,
                "step": step.label or step.station_type,
                "condition": {k: round(v, 6) for k, v in usage_before.items()},
                "defects_laid": total,
            }
        )

    def _inspect(
        self,
        roll: Roll,
        unit: StationUnit,
        rng: np.random.Generator,
        detection: dict[DefectType, float],
        false_alarms_per_m2: float,
    ) -> None:
        defects = roll.quality.defects
        unmarked = ~defects["marked"]
        if unmarked.any():
            p = np.array([detection.get(t, 0.0) for t in TYPES])
            types = defects["type"][unmarked]
            seen = rng.random(int(unmarked.sum())) < p[types]
            defects["marked"][np.flatnonzero(unmarked)[seen]] = True
        n = int(rng.poisson(false_alarms_per_m2 * roll.length_m * roll.width_m))
        if n:
            alarms = np.zeros(n, DEFECT_DTYPE)
            alarms["pos_m"] = rng.random(n) * roll.length_m
            alarms["cross_mm"] = rng.random(n) * roll.width_m * 1000
            alarms["type"] = FALSE_ALARM
            alarms["station"] = self.station_index[unit.name]
            alarms["time"] = self.plant.env.now
            alarms["marked"] = True
            self._append(roll, alarms)

    def rewound(self, roll: Roll, unit: StationUnit) -> None:
        """The roll is wound at a segment's tail: it reverses, and bare lithium sticks (000)."""
        quality = roll.quality
        if quality.exposed_lithium > 0:
            rng = self._rng(unit)
            n = int(rng.poisson(quality.exposed_lithium * roll.length_m * roll.width_m))
            if n:
                chunk = np.zeros(n, DEFECT_DTYPE)
                chunk["pos_m"] = rng.random(n) * roll.length_m
                chunk["cross_mm"] = rng.random(n) * roll.width_m * 1000
                chunk["type"] = CODE[DefectType.LITHIUM_STICKING]
                chunk["size_mm"] = DEFECT_SIZE_MM[DefectType.LITHIUM_STICKING]
                chunk["station"] = self.station_index[unit.name]
                chunk["time"] = self.plant.env.now
                self._append(roll, chunk)
        quality.reversed = not quality.reversed

    # ------------------------------------------------------------------ outcome
    def outcome(self, roll: Roll) -> dict[str, float]:
        """Good area, scrap by cause and escapes of a finished roll (m², mm²)."""
        product = self.plant.scenario.product(roll.product)
        quality = roll.quality
        lanes = quality.lanes
        width_mm = roll.width_m * 1000
        if not lanes:  # no slitter: the roll is one lane of the full width
            whole = SlittingStep(lanes=1, lane_width_mm=width_mm, edge_trim_mm=0)
            lanes = slit(
                quality.defects, roll.length_m, whole, 0.5, product.max_defects_per_m2, roll.id
            )
            quality.lanes = lanes
        started = roll.length_m * roll.width_m
        good = sum(lane.length_m * lane.width_mm / 1000 for lane in lanes if lane.good)
        result = {"started_m2": started, "good_m2": good}
        used_width = sum(lane.width_mm for lane in lanes)
        result["scrap.edge_trim"] = roll.length_m * max(width_mm - used_width, 0.0) / 1000
        result["scrap.downgraded"] = sum(
            lane.length_m * lane.width_mm / 1000 for lane in lanes if not lane.good
        )
        cut_total = sum(lane.cut_m * lane.width_mm / 1000 for lane in lanes)
        marked = quality.defects[quality.defects["marked"]]
        if cut_total > 0 and len(marked):
            # share the cut-out area among the causes of the marks, by their length on the web
            weights = np.where(marked["length_m"] > 0, marked["length_m"], 0.5)
            for code in np.unique(marked["type"]):
                cause = "false_alarm" if code == FALSE_ALARM else TYPES[code].value
                share = float(weights[marked["type"] == code].sum() / weights.sum())
                result[f"scrap.{cause}"] = result.get(f"scrap.{cause}", 0.0) + cut_total * share
        result["escapes"] = sum(lane.escapes for lane in lanes)
        result["escape_area_mm2"] = sum(lane.escape_area_mm2 for lane in lanes)
        return result

    def defects_table(self, roll: Roll) -> list[dict[str, Any]]:
        """The roll's defects as plain records, positions from the finished roll's outer end."""
        d = roll.quality.defects
        flip = roll.quality.reversed
        records = []
        for row in d:
            code = int(row["type"])
            pos = float(row["pos_m"])
            if flip:
                pos = roll.length_m - pos - float(row["length_m"])
            station = int(row["station"])
            records.append(
                {
                    "pos_m": round(pos, 4),
                    "cross_mm": round(float(row["cross_mm"]), 2),
                    "type": "false_alarm" if code == FALSE_ALARM else TYPES[code].value,
                    "size_mm": round(float(row["size_mm"]), 4),
                    "length_m": round(float(row["length_m"]), 4),
                    "station": self.station_names[station] if station >= 0 else "store",
                    "time_min": round(float(row["time"]), 3),
                    "marked": bool(row["marked"]),
                }
            )
        return records
