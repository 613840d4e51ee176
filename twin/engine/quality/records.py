"""What quality records on a roll as it runs: layers, stretches, looks, and the roll's state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from stations.base import LaneLayout
from twin.engine.quality.defects import Defects, draw_sizes
from twin.engine.quality.slitting import LaneRoll, lane_rolls
from twin.engine.streams import stream


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
    slitting: LaneLayout | None
    """How the step slits the web, if it does."""


UNSETTLED: Final = -1
"""Rate row of a layer whose rates wait for the evaluation to settle them."""
Worn = tuple[Layer, dict[str, float], dict[str, float]]
"""A layer laid by a tool whose rates depend on its counters, with them before and after."""
SizeStream = tuple[int, int, str]
"""(seed, replication, stream name) of a roll's defect sizes."""


@dataclass(slots=True)
class RollQuality:
    """What quality recorded on a roll during the run, and what the evaluation found."""

    seq: int = 0
    layers: list[Layer] = field(default_factory=list)
    stretches: list[Stretch] = field(default_factory=list)
    looks: list[Look] = field(default_factory=list)
    slitting: LaneLayout | None = None
    """How the roll was slit, once slit."""
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
        return lane_rolls(*self.slit_result)


@dataclass(slots=True)
class LayerColumns:
    """The layers on a block of rolls as columns, one entry per layer, the rolls in order."""

    roll: np.ndarray
    """Index of the layer's roll in the block."""
    seq: np.ndarray
    rates_start: np.ndarray
    rates_end: np.ndarray
    reversed: np.ndarray
    deviations: np.ndarray
    deviation_m: np.ndarray

    def __len__(self) -> int:
        return len(self.seq)


def layer_columns(rolls: Sequence[Any]) -> LayerColumns:
    """The layers on ``rolls`` as columns: one pass over them (cheap in the compiled engine)."""
    roll: list[int] = []
    seq: list[int] = []
    rates_start: list[int] = []
    rates_end: list[int] = []
    flipped: list[bool] = []
    deviations: list[float] = []
    deviation_m: list[float] = []
    for i, r in enumerate(rolls):
        quality: RollQuality = r.quality
        for layer in quality.layers:
            roll.append(i)
            seq.append(layer.seq)
            rates_start.append(layer.rates_start)
            rates_end.append(layer.rates_end)
            flipped.append(layer.reversed)
            deviations.append(layer.deviations)
            deviation_m.append(layer.deviation_m)
    return LayerColumns(
        roll=np.array(roll, dtype=np.int64),
        seq=np.array(seq, dtype=np.int64),
        rates_start=np.array(rates_start, dtype=np.int64),
        rates_end=np.array(rates_end, dtype=np.int64),
        reversed=np.array(flipped, dtype=bool),
        deviations=np.array(deviations, dtype=float),
        deviation_m=np.array(deviation_m, dtype=float),
    )
