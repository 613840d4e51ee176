"""Capacity studies: many runs of a plant over a design of factor values, locally or on Dask.

A study file names a base scenario, the factors to vary (a path into the scenario and its values
or range), a design, the replications, horizon and warm-up, and the KPIs to report::

    name: PECVD sources and accumulator size
    scenario: ../scenarios/baseline.yaml
    factors:
      - {name: sources, path: "lines[0].stations[1].equipment.sources", values: [4, 5, 6]}
      - {name: accumulator_m, path: "lines[0].buffers[1].capacity_m", range: [50, 400], levels: 4}
    design: full_factorial            # or one_at_a_time, or {kind: latin_hypercube, samples: 20}
    replications: 30
    horizon: 30d
    warmup: 2d
    kpis: [output_m2_per_h, lines.INL1.wip_rolls]
    objective: output_m2_per_h

Every (design point, replication) is one task. Replication ``r`` of every design point runs with
the study's seed and ``r`` (DESIGN.md, randomness), so design points share common random numbers
and a result never depends on which worker ran it or in what order tasks finished.
"""

from twin.study.kpis import LINE_KPIS, OUTPUT_KPIS, PLANT_KPIS, available_kpis, default_kpis
from twin.study.loading import (
    ScenarioSource,
    load_study,
    parse_study,
    scenario_files,
    scenario_files_within,
)
from twin.study.plan import StudyPlan
from twin.study.results import StudyResult
from twin.study.run import Executor, Progress, StudyInterrupted, run_study
from twin.study.spec import Design, Factor, StudySpec, design_points

__all__ = [
    "LINE_KPIS",
    "OUTPUT_KPIS",
    "PLANT_KPIS",
    "Design",
    "Executor",
    "Factor",
    "Progress",
    "ScenarioSource",
    "StudyInterrupted",
    "StudyPlan",
    "StudyResult",
    "StudySpec",
    "available_kpis",
    "default_kpis",
    "design_points",
    "load_study",
    "parse_study",
    "run_study",
    "scenario_files",
    "scenario_files_within",
]
