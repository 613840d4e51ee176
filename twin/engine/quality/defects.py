"""Defects as data: their types and codes, sizes, and the parallel arrays that hold them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stations import DefectType
from stations.base import DEFECT_SIZE_MM

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


Part = tuple[Defects, np.ndarray]
"""Defects and the index of the roll each lies on."""


def draw_sizes(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    """Defect sizes (mm) for defects of ``types``: lognormal around each type's size."""
    return SIZE_MM[types] * rng.lognormal(-(SIZE_SIGMA**2) / 2, SIZE_SIGMA, len(types))


def concat(parts: list[Part]) -> Part:
    """One set of defects from ``parts`` (the roll indices side by side)."""
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
