"""Defect rates by point type, one row per condition a layer was laid in."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from stations import DefectType
from stations.base import Level
from twin.engine.quality.defects import POINT_TYPES


def rate_rows(rates: Mapping[DefectType, Level], count: int) -> np.ndarray:
    """``count`` rows of rates by point type; a rate is one value, or one value per row."""
    rows = np.empty((count, len(POINT_TYPES)))
    for column, kind in enumerate(POINT_TYPES):
        rows[:, column] = rates.get(kind, 0.0)
    return rows


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
        return int(self.add_rows(rate_rows(rates, 1))[0])

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
