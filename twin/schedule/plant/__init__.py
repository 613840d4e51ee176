"""The plant layer: from a scenario to a scheduling problem, and from a schedule to a plan.

:mod:`.problem` builds the problem (machines, roll jobs, lines to choose from), :mod:`.schedule`
runs the rules and the search within a time limit and returns a :class:`PlantSchedule`, and
:mod:`.lateness` says why orders are late.
"""

from twin.schedule.plant.lateness import explain_lateness
from twin.schedule.plant.problem import (
    MAX_ROLL_JOBS,
    USAGE_SCALE,
    PlantMachine,
    PlantProblem,
    RollJob,
    ScheduleTooLarge,
    build_problem,
    plant_machines,
)
from twin.schedule.plant.schedule import (
    OBJECTIVES,
    PlantSchedule,
    parse_objective,
    plan_mismatches,
    schedule_plant,
    to_plan,
)

__all__ = [
    "MAX_ROLL_JOBS",
    "OBJECTIVES",
    "USAGE_SCALE",
    "PlantMachine",
    "PlantProblem",
    "PlantSchedule",
    "RollJob",
    "ScheduleTooLarge",
    "build_problem",
    "explain_lateness",
    "parse_objective",
    "plan_mismatches",
    "plant_machines",
    "schedule_plant",
    "to_plan",
]
