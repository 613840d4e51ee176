"""The R2R anode plant twin: scenarios, simulation, scheduling and studies.

This module is the public API that scripts, the CLI and the dashboard use.
"""

from __future__ import annotations

import importlib
from typing import Any

from twin.capacity import LineCapacity, StationCapacity, static_capacity
from twin.engine import SchedulePlan, SimulationResult, simulate
from twin.engine.stats import Estimate, Probability
from twin.report import export, export_bytes
from twin.scenario import (
    MAX_DOCUMENT_BYTES,
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_document,
    parse_scenario,
    scenario_from_document,
    value_at,
)
from twin.store import RunInfo, Store, StoreError
from twin.study import (
    Design,
    Factor,
    StudyInterrupted,
    StudyResult,
    StudySpec,
    load_study,
    parse_study,
    run_study,
)

# The scheduler loads OR-Tools, which doubles the start-up time of every ``r2r`` command: its
# names are imported when first used.
_SCHEDULER_NAMES = ("OBJECTIVES", "PlantSchedule", "schedule_plant", "to_plan")


def __getattr__(name: str) -> Any:
    if name in _SCHEDULER_NAMES:
        return getattr(importlib.import_module("twin.schedule.plant"), name)
    raise AttributeError(f"module 'twin' has no attribute {name!r}")


__all__ = [
    "MAX_DOCUMENT_BYTES",
    "OBJECTIVES",
    "Design",
    "Estimate",
    "Factor",
    "LineCapacity",
    "PlantSchedule",
    "Probability",
    "Problem",
    "RunInfo",
    "Scenario",
    "ScenarioError",
    "SchedulePlan",
    "SimulationResult",
    "StationCapacity",
    "Store",
    "StoreError",
    "StudyInterrupted",
    "StudyResult",
    "StudySpec",
    "export",
    "export_bytes",
    "load_scenario",
    "load_study",
    "parse_document",
    "parse_scenario",
    "parse_study",
    "run_study",
    "scenario_from_document",
    "schedule_plant",
    "simulate",
    "static_capacity",
    "to_plan",
    "value_at",
]
