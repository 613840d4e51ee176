"""The quality model of a run: it records layers on rolls as they run and evaluates them.

Defects are spatial Poisson processes over the web area. While a replication runs, each station
that processes a roll only records a *layer* on it: its defect rates at the start and the end of
the roll (they differ when the rate depends on the tool's condition, e.g. the PECVD wall deposit),
the roll's orientation, and the times. Stops and web breaks record stretches of web at known
offsets; inspections record that they looked. Quality never feeds back into the flow, so the
draws wait until rolls finish: then one vectorised numpy pass per block of finished rolls lays the
defects, applies the inspections, slits the rolls into lanes and counts good area, scrap by cause
and escapes (:mod:`.evaluation`, :mod:`.metrics`). Never one event per metre.

Positions are in the roll's own frame: metres from the end that led when the foil was first
unwound. Each rewind reverses the roll, so a station at offset s from the current leading end
marks position s, or L - s on a reversed roll.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from stations import DefectType, Equipment, RecipeStep
from twin.engine.entities import Roll, StationUnit
from twin.engine.quality.defects import CAUSES, CODE, NO_STATION, TYPES
from twin.engine.quality.evaluation import (
    EVALUATION_BLOCK,
    evaluate_block,
    keep_freed_memory,
    settle,
)
from twin.engine.quality.metrics import QualityTally
from twin.engine.quality.rates import RateTable, rate_rows
from twin.engine.quality.records import (
    UNSETTLED,
    Layer,
    Look,
    RollQuality,
    StepProfile,
    Stretch,
    Worn,
)


class QualityModel:
    """Records quality on rolls as they run, and evaluates them in blocks as they finish.

    ``rng`` draws the defects, ``clock`` tells the time; ``max_defects_per_m2`` is each
    product's specification for a lane roll, and ``sizes`` the (seed, replication) of the
    streams a traced roll's marked defect sizes come from.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        clock: Callable[[], float],
        max_defects_per_m2: dict[str, float],
        sizes: tuple[int, int],
    ) -> None:
        keep_freed_memory()
        self.rng = rng
        self.clock = clock
        self.max_defects_per_m2 = max_defects_per_m2
        self.sizes = sizes
        self.station_index: dict[str, int] = {}
        self.station_names: list[str] = []
        self._profiles: dict[tuple[int, int], StepProfile] = {}
        self.rates = RateTable()
        self._worn: dict[tuple[int, int], tuple[Equipment[Any], RecipeStep, list[Worn]]] = {}
        self._sticking: dict[float, int] = {}
        self.tally: QualityTally | None = None
        self.keep = False
        """Keep evaluated rolls' records (for genealogy)."""
        self._pending: list[Roll] = []
        self.shared: dict[Any, tuple[Any, ...]] = {}
        """What each (station, step) does to quality, kept across the scenario's replications
        (see :mod:`twin.engine.memo`)."""

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
        parts = self.shared.get((id(unit.spec), id(step)))
        if parts is None:
            parts = self.shared[(id(unit.spec), id(step))] = self._profile_parts(unit, step)
        rates, worn, deviations, deviation_m, label, sticking, protects, look, slitting = parts
        profile = self._profiles[key] = StepProfile(
            station=self._station(unit),
            rates=int(self.rates.add_rows(rates)[0]),
            worn=worn,
            deviations_per_min=deviations,
            deviation_m=deviation_m,
            label=label,
            sticking_per_m2=sticking,
            protects=protects,
            look=look,
            slitting=slitting,
        )
        return profile

    @staticmethod
    def _profile_parts(unit: StationUnit, step: RecipeStep) -> tuple[Any, ...]:
        """What the station's equipment and inspection do with ``step`` (any unit, any run)."""
        equipment = unit.equipment
        rates = equipment.defect_rates(step, {})
        worn = equipment.defect_rates(step, dict.fromkeys(unit.usage, 1.0))
        inspection = unit.spec.inspection
        look = None
        if inspection is not None:
            detection = np.array([inspection.detection.get(t, 0.0) for t in TYPES])
            look = (detection, inspection.false_alarms_per_m2)
        return (
            rate_rows(rates, 1),
            worn != rates,
            equipment.temperature_deviations_per_h(step) / 60,
            equipment.deviation_length_m(),
            step.label or step.station_type,
            equipment.sticking_per_m2_unprotected(step),
            step.lays_supplemental(),
            look,
            equipment.lane_layout(step),
        )

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
        quality: RollQuality = roll.quality
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
                self.clock(),
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
        quality: RollQuality = roll.quality
        profile = self._profiles.get((id(unit), id(step))) or self._profile(unit, step)
        start = end = profile.rates
        if profile.worn:
            start = end = UNSETTLED  # see _settle
        layer = Layer(
            quality.next_seq(),
            profile.station,
            entered,
            self.clock(),
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
        quality: RollQuality = roll.quality
        if quality.exposed_lithium > 0:
            rate = self._sticking.get(quality.exposed_lithium)
            if rate is None:
                rate = self.rates.add({DefectType.LITHIUM_STICKING: quality.exposed_lithium})
                self._sticking[quality.exposed_lithium] = rate
            now = self.clock()
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
    def rework(self, roll: Roll) -> None:
        """``roll`` goes back to the start of its line: its quality record starts afresh."""
        roll.quality = RollQuality()
        self.expose(roll)

    def finished(self, roll: Roll) -> None:
        """``roll`` is finished; evaluate it with the others of its block once the block is full."""
        self._pending.append(roll)
        if len(self._pending) == EVALUATION_BLOCK:
            self._evaluate()

    def close(self) -> None:
        """The run is over: evaluate the rolls finished since the last block."""
        self._evaluate()

    def _evaluate(self) -> None:
        rolls, self._pending = self._pending, []
        settle(self._worn, self.rates)
        evaluation = evaluate_block(
            rolls, self.rates, self.rng, self.max_defects_per_m2, self.sizes
        )
        if self.tally is not None:
            self.tally.add(rolls, evaluation)
        if not self.keep:
            for roll in rolls:
                roll.quality = None

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
