"""Inspection: each look marks the defects laid before it with its detection probabilities."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from twin.engine.quality.defects import FALSE_ALARM, TYPES, Defects, Part
from twin.engine.quality.records import Look

Rank = tuple[list[tuple[int, Look]], np.ndarray, np.ndarray]
"""The (roll, look) pairs of one rank, each roll's look sequence number and detection row."""


def inspections(rolls: Sequence[Any]) -> Iterator[Rank]:
    """Rolls' inspections rank by rank (first look, second look, ...).

    Yields the (roll, look) pairs of the rank, each roll's look sequence number (-1 when not
    looked at) and detection probability by type (a row of zeros when not looked at).
    """
    n = len(rolls)
    rank = 0
    while True:
        looking = [
            (i, r.quality.looks[rank]) for i, r in enumerate(rolls) if len(r.quality.looks) > rank
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


def look(
    rolls: Sequence[Any],
    parts: list[Part],
    length: np.ndarray,
    width: np.ndarray,
    rng: np.random.Generator,
) -> list[Part]:
    """Apply every inspection to the stretches laid before it; the false alarms it raises."""
    alarms: list[Part] = []
    for looking, look_seq, detection in inspections(rolls):
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
            defects = Defects(
                pos_m=rng.random(m) * length[rolls_of],
                cross_mm=rng.random(m) * (width[rolls_of] * 1000),
                type=np.full(m, FALSE_ALARM),
                size_mm=np.zeros(m),
                length_m=np.zeros(m),
                marked=np.ones(m, dtype=bool),
                seq=look_seq[rolls_of],
            )
            alarms.append((defects, rolls_of))
    return alarms
