"""The R2R anode plant twin: scenarios, simulation, scheduling and studies.

This module is the public API that scripts, the CLI and the dashboard use.
"""

# ruff: noqa: E402
from __future__ import annotations

import importlib
from typing import Any

from twin.compiled import enable

# Before any engine module is imported: its compiled build, if there is one of this code.
enable()

from twin.capacity import LineCapacity, StationCapacity, static_capacity
from twin.engine import (
    BufferChange,
    Estimate,
    Probability,
    ReplicationRecord,
    RunOptions,
    SchedulePlan,
    SimulationResult,
    StateChange,
    paired_difference,
    run_replication,
    simulate,
)
from twin.scenario import (
    MAX_DOCUMENT_BYTES,
    Change,
    InputError,
    Problem,
    Scenario,
    ScenarioError,
    changed_paths,
    load_scenario,
    parse_document,
    parse_scenario,
    scenario_from_document,
    value_at,
)

# The scheduler loads OR-Tools, and studies, the store and exports load pandas, plotly and
# Dask: each would add to the start-up of every ``r2r`` command, and their objects would slow
# the garbage collector in every simulation. Their names are imported when first used.
_LAZY_MODULES: dict[str, tuple[str, ...]] = {
    "twin.schedule.plant": ("OBJECTIVES", "PlantSchedule", "schedule_plant", "to_plan"),
    "twin.store": ("RunInfo", "Store", "StoreError", "VariantInfo"),
    "twin.bundled": ("bundled_folder",),
    "twin.report": ("export", "export_bytes"),
    "twin.comparison": ("Comparison", "compare", "run_with_common_seeds"),
    # shift calendars as off-shift intervals (Gantt shading, load against capacity)
    "twin.engine.calendar": ("off_shift_intervals",),
    "twin.study": (
        "Design",
        "Factor",
        "StudyInterrupted",
        "StudyResult",
        "StudySpec",
        "load_study",
        "parse_study",
        "run_study",
        "ScenarioSource",
        "scenario_files_within",
    ),
    # event logs, calibration and validation (issue 16): scipy, pyarrow and ruamel.yaml
    "twin.history": (
        "ColumnMap",
        "calibrate",
        "calibrated_yaml",
        "read_event_log",
        "validate_history",
        "write_event_log",
    ),
}
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'twin' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "MAX_DOCUMENT_BYTES",
    "OBJECTIVES",
    "BufferChange",
    "Change",
    "ColumnMap",
    "Comparison",
    "Design",
    "Estimate",
    "Factor",
    "InputError",
    "LineCapacity",
    "PlantSchedule",
    "Probability",
    "Problem",
    "ReplicationRecord",
    "RunInfo",
    "RunOptions",
    "Scenario",
    "ScenarioError",
    "ScenarioSource",
    "SchedulePlan",
    "SimulationResult",
    "StateChange",
    "StationCapacity",
    "Store",
    "StoreError",
    "StudyInterrupted",
    "StudyResult",
    "StudySpec",
    "VariantInfo",
    "bundled_folder",
    "calibrate",
    "calibrated_yaml",
    "changed_paths",
    "compare",
    "export",
    "export_bytes",
    "load_scenario",
    "load_study",
    "off_shift_intervals",
    "paired_difference",
    "parse_document",
    "parse_scenario",
    "parse_study",
    "read_event_log",
    "run_replication",
    "run_study",
    "run_with_common_seeds",
    "scenario_files_within",
    "scenario_from_document",
    "schedule_plant",
    "simulate",
    "static_capacity",
    "to_plan",
    "validate_history",
    "value_at",
    "write_event_log",
]
