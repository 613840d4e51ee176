"""The R2R anode plant twin: scenarios, simulation, scheduling and studies.

This module is the public API that scripts, the CLI and the dashboard use.
"""

from twin.scenario import Problem, Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "load_scenario", "parse_scenario"]

from twin.report import export, export_bytes
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

__all__ += [
    "Design",
    "Factor",
    "RunInfo",
    "Store",
    "StoreError",
    "StudyInterrupted",
    "StudyResult",
    "StudySpec",
    "export",
    "export_bytes",
    "load_study",
    "parse_study",
    "run_study",
]
