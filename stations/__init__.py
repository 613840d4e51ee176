"""Physics of each station type, independent of simulation and optimisation.

Every module defines one :class:`~stations.base.Equipment` subclass and its recipe step; importing
it registers the type. :data:`EquipmentSpec` and :data:`RecipeStepSpec` are the tagged unions of all
registered types, used by the scenario format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

from stations import ald, anneal, generic, li_evaporation, oxidation, pecvd, slitting
from stations.base import STATION_TYPES, DefectType, Equipment, RecipeStep, RollOverhead
from stations.distributions import Distribution
from stations.problems import Problem
from stations.recipe import check_recipe, complete_recipe
from stations.units import Duration, PositiveDuration, parse_duration

if TYPE_CHECKING:
    # The unions are built from the registry at run time; to a type checker any registered
    # equipment is an Equipment, and any step a RecipeStep.
    EquipmentSpec = Equipment[Any]
    RecipeStepSpec = RecipeStep
else:
    EquipmentSpec = Annotated[
        Union[tuple(STATION_TYPES.values())],  # noqa: UP007 - built from the registry
        Field(discriminator="type"),
    ]
    """Any registered equipment, chosen by its ``type`` tag."""

    RecipeStepSpec = Annotated[
        Union[tuple(cls.step_type for cls in STATION_TYPES.values())],  # noqa: UP007
        Field(discriminator="station_type"),
    ]
    """Any registered recipe step, chosen by its ``station_type`` tag."""

__all__ = [
    "STATION_TYPES",
    "DefectType",
    "Distribution",
    "Duration",
    "Equipment",
    "EquipmentSpec",
    "PositiveDuration",
    "Problem",
    "RecipeStep",
    "RecipeStepSpec",
    "RollOverhead",
    "ald",
    "anneal",
    "check_recipe",
    "complete_recipe",
    "generic",
    "li_evaporation",
    "oxidation",
    "parse_duration",
    "pecvd",
    "slitting",
]
