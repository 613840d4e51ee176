"""Random streams: one ``numpy.random.Generator`` per (seed, replication, stream name).

Seeding each stream from the scenario seed, the replication number and a stable hash of the
stream's name gives common random numbers: two scenarios run with the same seed see the same
failures on the stations they share, and a result never depends on which worker ran it
(DESIGN.md, randomness).
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for stream ``name`` of replication ``replication`` under ``seed``."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, replication, key])))
