"""Quality along the web: defects laid by stations, inspection, slitting into lanes, escapes.

Defects are spatial Poisson processes over the web area. While a replication runs, each station
that processes a roll only records a *layer* on it: its defect rates at the start and the end of
the roll (they differ when the rate depends on the tool's condition, e.g. the PECVD wall deposit),
the roll's orientation, and the times. Stops and web breaks record stretches of web at known
offsets; inspections record that they looked. Quality never feeds back into the flow, so the
draws wait until the run ends. Then one vectorised numpy pass over every roll of the replication
lays the defects, applies the inspections, slits the rolls into lanes and counts good area,
scrap by cause and escapes. The cost is a fixed number of numpy calls, never one event per metre
and hardly any work per roll.

A defect has a position along the roll (m), a cross-web position (mm), a type, a size, and the
station and time it came from (through its layer). Positions are in the roll's own frame: metres
from the end that led when the foil was first unwound. Each rewind reverses the roll, so a
station at offset s from the current leading end marks position s, or L - s on a reversed roll.

An inspection point marks each defect laid before it with its type's detection probability and
adds false alarms. The slitter cuts the web into lanes; a lane stretch around a marked defect is
cut out, a marked stretch across the web is cut out of every lane, and a lane roll whose unmarked
defects exceed the product's density is downgraded. Unmarked defects left in a good lane roll are
escapes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from stations import DefectType, RecipeStep
from stations.base import DEFECT_SIZE_MM, Equipment, Level
from stations.li_evaporation import LithiumEvaporator, LithiumStep
from stations.recipe import has_supplemental
from stations.slitting import Slitter, SlittingStep
from twin.engine.streams import stream

if TYPE_CHECKING:
    from twin.engine.plant import Plant, Roll, StationUnit

TYPES: tuple[DefectType, ...] = tuple(DefectType)
CODE = {t: i for i, t in enumerate(TYPES)}
POINT_TYPES: tuple[DefectType, ...] = tuple(
    t for t in TYPES if t not in (DefectType.WEB_BREAK, DefectType.AIR_EXPOSURE)
)
"""Types a station lays as a Poisson process over area (web breaks stop the line instead)."""
POINT_CODES = np.array([CODE[t] for t in POINT_TYPES])
SIZE_MM = np.array([DEFECT_SIZE_MM[t] for t in TYPES])
SIZE_SIGMA = math.sqrt(math.log1p(0.5**2))
"""Sizes are lognormal around the type's size with a coefficient of variation of 0.5."""
FALSE_ALARM = len(TYPES)
"""Type code of a false alarm: a mark with no defect under it."""
CAUSES: tuple[str, ...] = (*(t.value for t in TYPES), "false_alarm")
"""Cut-out causes by type code."""
NO_STATION = -1
DEFAULT_CUT_OUT_M = 0.5
"""Cut-out length where a roll is not slit (it is one lane of the full width)."""
EVALUATION_BLOCK = 200
"""Rolls evaluated together (see :meth:`QualityModel.evaluate`)."""


@dataclass(slots=True)
class Layer:
    """What one station did to a roll: its rates, its orientation, when, and in what state."""

    seq: int
    station: int
    start_min: float
    end_min: float
    reversed: bool
    rates_start: int
    """Row of the model's :class:`RateTable` at the start of the roll."""
    rates_end: int
    deviations: float
    """Expected temperature excursions over the roll."""
    deviation_m: float
    step: str
    condition: dict[str, float]


@dataclass(slots=True)
class Stretch:
    """A stretch of web across the whole width: a start-up, a break, an air exposure."""

    seq: int
    pos_m: float
    code: int
    length_m: float
    station: int
    marked: bool
    time_min: float


@dataclass(slots=True)
class Look:
    """An inspection of a roll: what it detects and how many false alarms it raises."""

    seq: int
    station: int
    detection: np.ndarray
    false_alarms_per_m2: float


@dataclass(slots=True, frozen=True)
class StepProfile:
    """What a station running a step does to a roll's quality (worked out once per pair)."""

    station: int
    rates: int
    """Row of the model's :class:`RateTable`: defects per m² with the tool clean."""
    worn: bool
    """The rates depend on the tool's usage counters (e.g. the PECVD wall deposit)."""
    deviations_per_min: float
    """Temperature excursions per minute of processing."""
    deviation_m: float
    label: str
    sticking_per_m2: float | None
    """Lithium sticking rate of a prelithiation step on an unprotected surface."""
    protects: bool
    """The step lays a supplemental layer."""
    look: tuple[np.ndarray, float] | None
    """An inspection point's detection probabilities by type and false alarms per m²."""
    slitting: tuple[SlittingStep, float] | None
    """The slitting step and the slitter's cut-out length."""


def _rate_rows(rates: Mapping[DefectType, Level], count: int) -> np.ndarray:
    """``count`` rows of rates by point type; a rate is one value, or one value per row."""
    return np.column_stack(
        [np.broadcast_to(np.asarray(rates.get(t, 0.0), dtype=float), count) for t in POINT_TYPES]
    )


class RateTable:
    """Defect rates per m² by point type, one row per condition a layer was laid in.

    Layers refer to rows by number, so the run records two integers per layer and the
    evaluation gathers every layer's rates in one indexing operation.
    """

    def __init__(self) -> None:
        self.rows = np.zeros((64, len(POINT_TYPES)))
        self.size = 0

    def add(self, rates: Mapping[DefectType, Level]) -> int:
        """A new row holding ``rates``; its number."""
        return int(self.add_rows(_rate_rows(rates, 1))[0])

    def add_rows(self, rows: np.ndarray) -> np.ndarray:
        """New rows (one per line of ``rows``, point types across); their numbers."""
        end = self.size + len(rows)
        if end > len(self.rows):
            grown = np.zeros((max(end, 2 * len(self.rows)), len(POINT_TYPES)))
            grown[: self.size] = self.rows[: self.size]
            self.rows = grown
        self.rows[self.size : end] = rows
        numbers = np.arange(self.size, end)
        self.size = end
        return numbers


@dataclass(slots=True)
class Defects:
    """Defects as parallel arrays: one entry per defect.

    ``seq`` is the roll's record that laid it (a layer, a stretch or a look), which gives its
    station and time when a trace asks.
    """

    pos_m: np.ndarray
    cross_mm: np.ndarray
    type: np.ndarray
    size_mm: np.ndarray
    length_m: np.ndarray
    marked: np.ndarray
    seq: np.ndarray

    def __len__(self) -> int:
        return len(self.pos_m)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays in field order."""
        return (
            self.pos_m,
            self.cross_mm,
            self.type,
            self.size_mm,
            self.length_m,
            self.marked,
            self.seq,
        )

    def take(self, index: np.ndarray | slice) -> Defects:
        """The defects at ``index``."""
        return Defects(*(a[index] for a in self.arrays()))


UNSETTLED = -1
"""Rate row of a layer whose rates wait for :meth:`QualityModel._settle`."""
Worn = tuple[Layer, dict[str, float], dict[str, float]]
"""A layer laid by a tool whose rates depend on its counters, with them before and after."""

Part = tuple[Defects, np.ndarray]
"""Defects and the index of the roll each lies on."""


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


SizeStream = tuple[int, int, str]
"""(seed, replication, stream name) of a roll's defect sizes."""


def draw_sizes(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    """Defect sizes (mm) for defects of ``types``: lognormal around each type's size."""
    return SIZE_MM[types] * rng.lognormal(-(SIZE_SIGMA**2) / 2, SIZE_SIGMA, len(types))


@dataclass(slots=True)
class RollQuality:
    """What quality recorded on a roll during the run, and what the evaluation found."""

    seq: int = 0
    layers: list[Layer] = field(default_factory=list)
    stretches: list[Stretch] = field(default_factory=list)
    looks: list[Look] = field(default_factory=list)
    slitting: tuple[SlittingStep, float] | None = None
    """The slitting step and the slitter's cut-out length, once slit."""
    reversed: bool = False
    exposed_lithium: float = 0.0
    """Sticking rate per m² of an unprotected prelithiated surface, 0 when protected."""
    supplemental: bool = False
    """A supplemental layer is on the web (lithium laid onto it does not stick, 000 step 813)."""
    evaluated: tuple[Defects, np.ndarray, int, SizeStream] | None = None
    """The replication's defects, which roll each belongs to, this roll's index, and the stream
    its marked defects' sizes come from."""
    slit_result: tuple[dict[str, np.ndarray], int, str, float] | None = None

    def next_seq(self) -> int:
        """A number that orders what happened to the roll."""
        self.seq += 1
        return self.seq

    @property
    def defects(self) -> Defects | None:
        """The roll's defects once evaluated (taken from the replication's arrays).

        The sizes of marked defects count towards no figure (they are cut out), so they are
        drawn only here, when asked, from the roll's own stream: the same every time.
        """
        if self.evaluated is None:
            return None
        everything, roll_of, index, sizes = self.evaluated
        mine = everything.take(np.flatnonzero(roll_of == index))
        unsized = np.flatnonzero(np.isnan(mine.size_mm))
        if len(unsized):
            mine.size_mm[unsized] = draw_sizes(stream(*sizes), mine.type[unsized])
        return mine

    def lanes(self) -> list[LaneRoll]:
        """The roll's lane rolls once evaluated (built on demand, for traces)."""
        if self.slit_result is None:
            return []
        return _lane_rolls(*self.slit_result)


@dataclass
class Evaluation:
    """Per-roll outcome arrays of one evaluation (areas in m², escape area in mm²)."""

    started_m2: np.ndarray
    good_m2: np.ndarray
    edge_trim_m2: np.ndarray
    downgraded_m2: np.ndarray
    cut_by_cause_m2: np.ndarray
    """Rolls × causes (see :data:`CAUSES`)."""
    escapes: np.ndarray
    escape_area_mm2: np.ndarray


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
    return _lane_rolls(lanes, 0, roll_id, step.lane_width_mm)


def _lane_rolls(
    lanes: dict[str, np.ndarray], roll: int, roll_id: str, width_mm: float
) -> list[LaneRoll]:
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


class QualityModel:
    """Records quality on rolls during a run and evaluates it, all rolls at once, at the end."""

    def __init__(self, plant: Plant) -> None:
        self.plant = plant
        self.rng = stream(plant.seed, plant.replication, "defects")
        self.station_index: dict[str, int] = {}
        self.station_names: list[str] = []
        self._profiles: dict[tuple[int, int], StepProfile] = {}
        self.rates = RateTable()
        self._worn: dict[tuple[int, int], tuple[Equipment[Any], RecipeStep, list[Worn]]] = {}
        self._sticking: dict[float, int] = {}

    def _station(self, unit: StationUnit) -> int:
        index = self.station_index.get(unit.name)
        if index is None:
            index = self.station_index[unit.name] = len(self.station_names)
            self.station_names.append(unit.name)
        return index

    # ------------------------------------------------------------------ recording
    def _profile(self, unit: StationUnit, step: RecipeStep) -> StepProfile:
        """What ``unit`` running ``step`` does to a roll's quality, worked out once."""
        key = (id(unit), id(step))
        profile = self._profiles.get(key)
        if profile is not None:
            return profile
        equipment = unit.equipment
        rates = equipment.defect_rates(step, {})
        worn = equipment.defect_rates(step, dict.fromkeys(unit.usage, 1.0))
        sticking: float | None = None
        if isinstance(step, LithiumStep) and step.role == "prelithiation":
            assert isinstance(equipment, LithiumEvaporator)
            sticking = equipment.sticking_per_m2
        inspection = unit.spec.inspection
        look = None
        if inspection is not None:
            detection = np.array([inspection.detection.get(t, 0.0) for t in TYPES])
            look = (detection, inspection.false_alarms_per_m2)
        slitting = None
        if isinstance(step, SlittingStep):
            assert isinstance(equipment, Slitter)
            slitting = (step, equipment.cut_out_length_m)
        profile = self._profiles[key] = StepProfile(
            station=self._station(unit),
            rates=self.rates.add(rates),
            worn=worn != rates,
            deviations_per_min=equipment.temperature_deviations_per_h(step) / 60,
            deviation_m=equipment.deviation_length_m(),
            label=step.label or step.station_type,
            sticking_per_m2=sticking,
            protects=has_supplemental(step),
            look=look,
            slitting=slitting,
        )
        return profile

    def _stretch(
        self,
        roll: Roll,
        unit: StationUnit | None,
        kind: DefectType,
        offset: float,
        length: float,
        marked: bool,
    ) -> None:
        length = min(length, roll.length_m - offset)
        if length <= 0:
            return
        quality = roll.quality
        position = roll.length_m - offset - length if quality.reversed else offset
        station = self._station(unit) if unit is not None else NO_STATION
        quality.stretches.append(
            Stretch(
                quality.next_seq(),
                position,
                CODE[kind],
                length,
                station,
                marked,
                self.plant.env.now,
            )
        )

    def restart(self, roll: Roll, unit: StationUnit, offset: float) -> None:
        """A standstill mid-roll: the start-up length at ``offset`` is out of specification."""
        length = unit.equipment.startup_length_m
        self._stretch(roll, unit, DefectType.THICKNESS, offset, length, False)

    def web_break(self, roll: Roll, unit: StationUnit, offset: float) -> None:
        """A web break at ``offset``: the lost length is marked (a break is never missed)."""
        length = unit.equipment.web_break_loss_m
        self._stretch(roll, unit, DefectType.WEB_BREAK, offset, length, True)

    def expose(self, roll: Roll) -> None:
        """The roll waited past its limit: all of it is air-exposed (002, 003, 004)."""
        self._stretch(roll, None, DefectType.AIR_EXPOSURE, 0.0, roll.length_m, True)

    def processed(
        self,
        roll: Roll,
        unit: StationUnit,
        step: RecipeStep,
        entered: float,
        usage_before: dict[str, float],
        speed_m_min: float,
    ) -> None:
        """``unit`` has processed ``roll`` with ``step``: record its layer, look, or slitting."""
        quality = roll.quality
        profile = self._profile(unit, step)
        start = end = profile.rates
        if profile.worn:
            start = end = UNSETTLED  # see _settle
        layer = Layer(
            quality.next_seq(),
            profile.station,
            entered,
            self.plant.env.now,
            quality.reversed,
            start,
            end,
            profile.deviations_per_min * roll.length_m / speed_m_min,
            profile.deviation_m,
            profile.label,
            usage_before,
        )
        quality.layers.append(layer)
        if profile.worn:
            worn = self._worn.setdefault((id(unit), id(step)), (unit.equipment, step, []))
            worn[2].append((layer, usage_before, dict(unit.usage)))
        if profile.sticking_per_m2 is not None:
            if not quality.supplemental:
                quality.exposed_lithium = profile.sticking_per_m2
        elif profile.protects:
            quality.supplemental = True
            quality.exposed_lithium = 0.0
        if profile.look is not None:
            quality.looks.append(Look(quality.next_seq(), profile.station, *profile.look))
        if profile.slitting is not None:
            quality.slitting = profile.slitting

    def rewound(self, roll: Roll, unit: StationUnit) -> None:
        """The roll is wound at a segment's tail: it reverses, and bare lithium sticks (000)."""
        quality = roll.quality
        if quality.exposed_lithium > 0:
            rate = self._sticking.get(quality.exposed_lithium)
            if rate is None:
                rate = self.rates.add({DefectType.LITHIUM_STICKING: quality.exposed_lithium})
                self._sticking[quality.exposed_lithium] = rate
            now = self.plant.env.now
            quality.layers.append(
                Layer(
                    quality.next_seq(),
                    self._station(unit),
                    now,
                    now,
                    quality.reversed,
                    rate,
                    rate,
                    0.0,
                    0.0,
                    "winding",
                    {},
                )
            )
        quality.reversed = not quality.reversed

    # ------------------------------------------------------------------ evaluation
    def _settle(self) -> None:
        """Give layers whose rates depend on the tool's condition their rate rows.

        One call of the station's ``defect_rates`` per (tool, step) with the counters of all its
        layers as arrays, rather than two calls per roll while the run goes on.
        """
        for equipment, step, layers in self._worn.values():
            starts = {c: np.array([before[c] for _, before, _ in layers]) for c in layers[0][1]}
            ends = {c: np.array([after[c] for _, _, after in layers]) for c in starts}
            first = _rate_rows(equipment.defect_rates(step, starts), len(layers))
            last = _rate_rows(equipment.defect_rates(step, ends), len(layers))
            # where maintenance reset a counter mid-roll, the roll sees the mean of the two
            reset = np.zeros(len(layers), dtype=bool)
            for counter, start in starts.items():
                reset |= ends[counter] < start
            first[reset] = last[reset] = (first[reset] + last[reset]) / 2
            for (layer, _, _), a, b in zip(
                layers, self.rates.add_rows(first), self.rates.add_rows(last), strict=True
            ):
                layer.rates_start, layer.rates_end = int(a), int(b)
        self._worn.clear()

    def evaluate(self, rolls: list[Roll]) -> Evaluation:
        """Draw, inspect and slit ``rolls``; their per-roll outcomes.

        Each roll keeps its defects and lane rolls for tracing. Rolls go in blocks of
        :data:`EVALUATION_BLOCK`, each in one vectorised pass: a block's arrays are small
        enough for the allocator to reuse from one block to the next, where arrays for a
        whole plant-year would be mapped afresh, page by page, each time.
        """
        self._settle()
        blocks = [
            self._evaluate_block(rolls[i : i + EVALUATION_BLOCK])
            for i in range(0, len(rolls), EVALUATION_BLOCK)
        ] or [self._evaluate_block([])]
        return Evaluation(
            *(np.concatenate([getattr(b, f.name) for b in blocks]) for f in fields(Evaluation))
        )

    def _evaluate_block(self, rolls: list[Roll]) -> Evaluation:
        """Draw, inspect and slit ``rolls`` in one vectorised pass (see :meth:`evaluate`)."""
        n = len(rolls)
        length = np.array([r.length_m for r in rolls])
        width = np.array([r.width_m for r in rolls])
        points, stretches = self._lay(rolls, length, width)
        alarms = self._look(rolls, stretches, length, width)
        defects, roll_of = _concat([*points, *stretches, *alarms])
        del points, stretches, alarms  # the parts' arrays, copied into one
        specs = {p.id: p.max_defects_per_m2 for p in self.plant.scenario.products}
        lanes = np.ones(n, dtype=np.int64)
        lane_width = width * 1000
        trim = np.zeros(n)
        cut_out = np.full(n, DEFAULT_CUT_OUT_M)
        spec = np.array([specs[roll.product] for roll in rolls])
        for i, roll in enumerate(rolls):
            if roll.quality.slitting is not None:
                step, cut = roll.quality.slitting
                lanes[i], lane_width[i], trim[i], cut_out[i] = (
                    step.lanes,
                    step.lane_width_mm,
                    step.edge_trim_mm,
                    cut,
                )
        slitting = slit_rolls(defects, roll_of, length, lanes, lane_width, trim, cut_out, spec)
        max_lanes = int(slitting["max_lanes"][0])
        per_roll = lane_width / 1000

        def by_roll(values: np.ndarray) -> np.ndarray:
            return values.reshape(n, max_lanes).sum(axis=1) if n else np.zeros(0)

        good = by_roll(slitting["good_length_m"] * slitting["good"]) * per_roll
        all_lanes = by_roll(slitting["good_length_m"]) * per_roll
        cut_area = by_roll(slitting["cut_m"]) * per_roll
        marked = np.flatnonzero(defects.marked)
        weights = np.where(defects.length_m[marked] > 0, defects.length_m[marked], 0.5)
        cells = roll_of[marked] * len(CAUSES) + defects.type[marked]
        by_cause = np.bincount(cells, weights=weights, minlength=n * len(CAUSES)).reshape(
            n, len(CAUSES)
        )
        totals = by_cause.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(totals > 0, by_cause / np.where(totals > 0, totals, 1), 0.0)
        widths = lane_width.tolist()
        for i, roll in enumerate(rolls):
            sizes = (self.plant.seed, self.plant.replication, f"sizes:{roll.id}")
            roll.quality.evaluated = (defects, roll_of, i, sizes)
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

    def _inspections(
        self, rolls: list[Roll]
    ) -> Iterator[tuple[list[tuple[int, Look]], np.ndarray, np.ndarray]]:
        """Rolls' inspections rank by rank (first look, second look, ...).

        Yields the (roll, look) pairs of the rank, each roll's look sequence number (-1 when
        not looked at) and detection probability by type (a row of zeros when not looked at).
        """
        n = len(rolls)
        rank = 0
        while True:
            looking = [
                (i, r.quality.looks[rank])
                for i, r in enumerate(rolls)
                if len(r.quality.looks) > rank
            ]
            if not looking:
                return
            looked = [i for i, _ in looking]
            look_seq = np.full(n, -1)
            look_seq[looked] = [look.seq for _, look in looking]
            detection = np.zeros((n, len(TYPES) + 1))
            detection[looked, : len(TYPES)] = [look.detection for _, look in looking]
            yield looking, look_seq, detection
            rank += 1

    def _lay(
        self, rolls: list[Roll], length: np.ndarray, width: np.ndarray
    ) -> tuple[list[Part], list[Part]]:
        """Every roll's point defects (already inspected), and its excursions and stretches."""
        rng = self.rng
        layers = [(i, layer) for i, roll in enumerate(rolls) for layer in roll.quality.layers]
        points: list[Part] = []
        parts: list[Part] = []
        if layers:
            roll_idx = np.array([i for i, _ in layers])
            seqs = np.array([layer.seq for _, layer in layers])
            a = self.rates.rows[[layer.rates_start for _, layer in layers]]
            b = self.rates.rows[[layer.rates_end for _, layer in layers]]
            # Thinning: a layer's defects of a type are two independent Poisson processes, those
            # a later inspection marks (probability 1 - Π(1 - p) over the later looks) and those
            # it misses, so detection needs no draw per defect.
            missed = np.ones_like(a)
            for _, look_seq, detection in self._inspections(rolls):
                later = look_seq[roll_idx] > seqs
                missed[later] *= 1 - detection[roll_idx[later]][:, POINT_CODES]
            mean = (a + b) / 2 * (length * width)[roll_idx][:, None]
            counts = rng.poisson(np.stack([mean * (1 - missed), mean * missed])).ravel()
            cells = a.size
            total = int(counts.sum())
            cell = np.tile(np.arange(cells), 2).repeat(counts)
            which = cell // len(POINT_TYPES)
            s = rng.random(total)
            # offsets under an intensity rising linearly from a to b along the roll (inverse
            # CDF), for the defects whose rate changes along it; the rest are uniform
            rising = (np.abs(b - a) > 1e-12 * a).ravel()
            sloped = np.flatnonzero(rising[cell])
            if len(sloped):
                rows = cell[sloped]
                a0, d, u = a.ravel()[rows], (b - a).ravel()[rows], s[sloped]
                s[sloped] = (np.sqrt(a0 * a0 + d * (2 * a0 + d) * u) - a0) / d
            codes = POINT_CODES[cell % len(POINT_TYPES)]
            del cell
            flips = np.array([layer.reversed for _, layer in layers])
            rolls_of = roll_idx[which]
            roll_length = length[rolls_of]
            s *= roll_length  # the offset from the leading end
            np.subtract(roll_length, s, out=s, where=flips[which])
            del roll_length
            marked = int(counts[:cells].sum())
            # only unmarked defects' sizes count (escapes); marked ones are drawn when traced
            sizes = np.full(total, np.nan)
            sizes[marked:] = draw_sizes(rng, codes[marked:])
            cross = rng.random(total)
            cross *= width[rolls_of]
            cross *= 1000
            points.append(
                (
                    Defects(
                        pos_m=s,
                        cross_mm=cross,
                        type=codes,
                        size_mm=sizes,
                        length_m=np.zeros(total),
                        marked=np.arange(total) < marked,
                        seq=seqs[which],
                    ),
                    rolls_of,
                )
            )
            expected = np.array([layer.deviations for _, layer in layers])
            if expected.any():
                excursions = rng.poisson(expected)
                m = int(excursions.sum())
                which = np.repeat(np.arange(len(layers)), excursions)
                rolls_of = roll_idx[which]
                spans = np.array([layer.deviation_m for _, layer in layers])[which]
                spans = np.minimum(spans, length[rolls_of])
                offset = rng.random(m) * (length[rolls_of] - spans)
                parts.append(
                    (
                        Defects(
                            pos_m=np.where(flips[which], length[rolls_of] - offset - spans, offset),
                            cross_mm=np.zeros(m),
                            type=np.full(m, CODE[DefectType.THICKNESS]),
                            size_mm=np.zeros(m),
                            length_m=spans,
                            marked=np.zeros(m, dtype=bool),
                            seq=seqs[which],
                        ),
                        rolls_of,
                    )
                )
        stretches = [(i, st) for i, roll in enumerate(rolls) for st in roll.quality.stretches]
        if stretches:
            m = len(stretches)
            parts.append(
                (
                    Defects(
                        pos_m=np.array([st.pos_m for _, st in stretches]),
                        cross_mm=np.zeros(m),
                        type=np.array([st.code for _, st in stretches]),
                        size_mm=np.zeros(m),
                        length_m=np.array([st.length_m for _, st in stretches]),
                        marked=np.array([st.marked for _, st in stretches]),
                        seq=np.array([st.seq for _, st in stretches]),
                    ),
                    np.array([i for i, _ in stretches]),
                )
            )
        return points, parts

    def _look(
        self, rolls: list[Roll], parts: list[Part], length: np.ndarray, width: np.ndarray
    ) -> list[Part]:
        """Apply every inspection to the stretches laid before it; the false alarms it raises."""
        rng = self.rng
        alarms: list[Part] = []
        for looking, look_seq, detection in self._inspections(rolls):
            for defects, roll_of in parts:
                candidates = np.flatnonzero(~defects.marked & (defects.seq < look_seq[roll_of]))
                p = detection[roll_of[candidates], defects.type[candidates]]
                defects.marked[candidates[rng.random(len(candidates)) < p]] = True
            rolls_looked = np.array([i for i, _ in looking])
            far = np.array([look.false_alarms_per_m2 for _, look in looking])
            counts = rng.poisson(far * (length * width)[rolls_looked])
            m = int(counts.sum())
            if m:
                rolls_of = rolls_looked.repeat(counts)
                alarms.append(
                    (
                        Defects(
                            pos_m=rng.random(m) * length[rolls_of],
                            cross_mm=rng.random(m) * (width[rolls_of] * 1000),
                            type=np.full(m, FALSE_ALARM),
                            size_mm=np.zeros(m),
                            length_m=np.zeros(m),
                            marked=np.ones(m, dtype=bool),
                            seq=look_seq[rolls_of],
                        ),
                        rolls_of,
                    )
                )
        return alarms

    # ------------------------------------------------------------------ traceability
    def genealogy(self, roll: Roll) -> list[dict[str, Any]]:
        """Each station the roll passed: when, under which step, in what condition."""
        return [
            {
                "station": self.station_names[layer.station],
                "start_min": layer.start_min,
                "end_min": layer.end_min,
                "step": layer.step,
                "condition": {k: round(v, 6) for k, v in layer.condition.items()},
            }
            for layer in roll.quality.layers
        ]

    def defects_table(self, roll: Roll) -> list[dict[str, Any]]:
        """The roll's defects as records, positions from the finished roll's outer end."""
        defects = roll.quality.defects
        if defects is None:
            return []
        quality = roll.quality
        length = roll.length_m
        layers = {layer.seq: layer for layer in quality.layers}
        origins: dict[int, tuple[int, float]] = {
            st.seq: (st.station, st.time_min) for st in quality.stretches
        }
        origins.update((look.seq, (look.station, math.nan)) for look in quality.looks)
        records = []
        for i in range(len(defects)):
            code = int(defects.type[i])
            span = float(defects.length_m[i])
            pos = float(defects.pos_m[i])
            seq = int(defects.seq[i])
            layer = layers.get(seq)
            if layer is not None:
                # laid as the web passed: the time its leading edge went through the station
                along = length - pos - span if layer.reversed else pos
                time = layer.start_min + (layer.end_min - layer.start_min) * along / length
                station = layer.station
            else:
                station, time = origins[seq]
            records.append(
                {
                    "pos_m": round(length - pos - span if quality.reversed else pos, 4),
                    "cross_mm": round(float(defects.cross_mm[i]), 2),
                    "type": CAUSES[code],
                    "size_mm": round(float(defects.size_mm[i]), 4),
                    "length_m": round(span, 4),
                    "station": self.station_names[station] if station >= 0 else "store",
                    "time_min": None if math.isnan(time) else round(time, 3),
                    "marked": bool(defects.marked[i]),
                }
            )
        return records


def _concat(parts: list[Part]) -> Part:
    if not parts:
        f = np.zeros(0)
        i = np.zeros(0, dtype=np.int64)
        return Defects(f, f, i, f, f, np.zeros(0, dtype=bool), i), i
    if len(parts) == 1:
        return parts[0]
    columns = zip(*(part[0].arrays() for part in parts), strict=True)
    return (
        Defects(*(np.concatenate(column) for column in columns)),
        np.concatenate([part[1] for part in parts]),
    )
