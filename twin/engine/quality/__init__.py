"""Quality along the web: defects laid by stations, inspection, slitting into lanes, escapes.

The package is cut by concern: what a defect is (:mod:`.defects`), what the run records on a roll
(:mod:`.records`), defect rates (:mod:`.rates`), laying defects (:mod:`.laying`), inspection
(:mod:`.inspection`), slitting (:mod:`.slitting`), evaluating finished rolls (:mod:`.evaluation`),
the KPIs (:mod:`.metrics`), and the model that ties them to a run (:mod:`.model`).
"""

from twin.engine.quality.defects import CAUSES, CODE, FALSE_ALARM, Defects
from twin.engine.quality.metrics import QualityTally
from twin.engine.quality.model import QualityModel
from twin.engine.quality.records import RollQuality
from twin.engine.quality.slitting import LaneRoll, slit, slit_rolls

__all__ = [
    "CAUSES",
    "CODE",
    "FALSE_ALARM",
    "Defects",
    "LaneRoll",
    "QualityModel",
    "QualityTally",
    "RollQuality",
    "slit",
    "slit_rolls",
]
