"""The CP-SAT model of a scheduling problem.

Variables, constraints and objective in their own modules, and a builder that assembles them (the
solver layer, split as in PyJobShop).
"""

from twin.schedule.model.builder import ScheduleModel, build_model

__all__ = ["ScheduleModel", "build_model"]
