"""The plant: products, lines, coupling, failures, maintenance, calendars, crews and orders.

Loading a scenario is the one place where input is checked (DESIGN.md). A document with mistakes is
rejected with one :class:`ScenarioError` that lists every problem by its path in the document, such
as ``lines[0].stations[2].equipment.max_speed_m_min: must be > 0``. Everything above this package
may trust a :class:`Scenario`.

The package is cut by concern: the parts of a plant (:mod:`.fields`, :mod:`.upkeep`, :mod:`.lines`,
:mod:`.calendars`, :mod:`.orders`, :mod:`.model`), the checks across them (:mod:`.checks`), paths
into a document (:mod:`.paths`), safe parsing (:mod:`.documents`), messages (:mod:`.messages`,
:mod:`.problems`) and loading (:mod:`.loading`).
"""

from twin.problems import InputError, Problem, ScenarioError, UsageError, did_you_mean
from twin.scenario.calendars import WEEKDAYS, Calendar, Crew, CrewTask, Shift, Weekday
from twin.scenario.differences import Change, changed_paths
from twin.scenario.documents import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_DEPTH,
    MAX_DOCUMENT_NODES,
    parse_document,
)
from twin.scenario.fields import Identifier, Model, TimeRef
from twin.scenario.lines import Accumulator, Buffer, Inspection, Line, RollStore, Station
from twin.scenario.loading import load_scenario, parse_scenario, scenario_from_document
from twin.scenario.messages import validation_problems
from twin.scenario.model import RouteStep, RunSettings, Scenario
from twin.scenario.order_files import OrderFile, read_order_file
from twin.scenario.orders import Order, Product
from twin.scenario.paths import PathError, parse_path, positional, set_path, value_at
from twin.scenario.upkeep import CalendarMaintenance, Failure, Maintenance, UsageMaintenance

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_DOCUMENT_DEPTH",
    "MAX_DOCUMENT_NODES",
    "WEEKDAYS",
    "Accumulator",
    "Buffer",
    "Calendar",
    "CalendarMaintenance",
    "Change",
    "Crew",
    "CrewTask",
    "Failure",
    "Identifier",
    "InputError",
    "Inspection",
    "Line",
    "Maintenance",
    "Model",
    "Order",
    "OrderFile",
    "PathError",
    "Problem",
    "Product",
    "RollStore",
    "RouteStep",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "Shift",
    "Station",
    "TimeRef",
    "UsageError",
    "UsageMaintenance",
    "Weekday",
    "changed_paths",
    "did_you_mean",
    "load_scenario",
    "parse_document",
    "parse_path",
    "parse_scenario",
    "positional",
    "read_order_file",
    "scenario_from_document",
    "set_path",
    "validation_problems",
    "value_at",
]
