"""The R2R anode plant twin: scenarios, simulation, scheduling and studies.

This module is the public API that scripts, the CLI and the dashboard use.
"""

from twin.scenario import Problem, Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "load_scenario", "parse_scenario"]
