"""One replication of a plant, by concern.

The world and its services (:mod:`.core`), the order book (:mod:`.orders`), crews and stops
(:mod:`.crews`) and the replication's figures (:mod:`.results`).
"""

from twin.engine.plant.core import Plant

__all__ = ["Plant"]
