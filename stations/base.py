"""What every station type shares: equipment and recipe-step models, findings, defect types.

A station type is one :class:`Equipment` subclass (tagged by ``type``) paired with one
:class:`RecipeStep` subclass (tagged by ``station_type``). Subclassing registers the type; nothing
else needs editing to add one. From an equipment and a step the type answers the web speed, the
per-roll overhead, the changeover time, the consumables per metre, the defect rates and whether the
step lies inside its process window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, ClassVar, Generic, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from stations.distributions import Distribution, Fixed
from stations.problems import Problem
from stations.units import Duration

Level = float | np.ndarray
"""A usage counter or a rate: one value, or an array of them (one per roll)."""


class DefectType(StrEnum):
    """Kinds of defect laid on the web (domain.md, defects and quality)."""

    PINHOLE = "pinhole"
    PARTICLE = "particle"
    THICKNESS = "thickness_out_of_spec"
    WRINKLE = "wrinkle"
    LITHIUM_STICKING = "lithium_sticking"
    AIR_EXPOSURE = "air_exposure"
    WEB_BREAK = "web_break"


DEFECT_SIZE_MM: dict[DefectType, float] = {
    DefectType.PINHOLE: 0.05,  # assumed: through-pores tens of µm (002)
    DefectType.PARTICLE: 0.3,  # assumed
    DefectType.THICKNESS: 5.0,  # assumed: a patch
    DefectType.WRINKLE: 20.0,  # assumed: a crease
    DefectType.LITHIUM_STICKING: 10.0,  # assumed
    DefectType.AIR_EXPOSURE: 0.0,  # a length defect: the whole width
    DefectType.WEB_BREAK: 0.0,  # a length defect: the whole width
}
"""Typical size (mm) of a point defect of each type; sizes are lognormal around it (cv 0.5)."""


@dataclass(frozen=True)
class Window:
    """A process window ``low``–``high`` in ``unit``, with the source that gives it."""

    low: float
    high: float
    unit: str
    source: str

    def check(
        self, what: str, value: float, field: str, severity: Literal["error", "warning"] = "error"
    ) -> list[Problem]:
        """Return a finding naming value, window and source when ``value`` lies outside."""
        if self.low <= value <= self.high:
            return []
        return [
            Problem(
                field,
                f"{what} {value:g} {self.unit} is outside {self.low:g}–{self.high:g} {self.unit} "
                f"({self.source})",
                severity,
            )
        ]


@dataclass(frozen=True)
class LaneLayout:
    """How a slitting step cuts the web: lanes, their width and edge trims, and the cut-outs."""

    lanes: int
    lane_width_mm: float
    edge_trim_mm: float
    cut_out_m: float
    """Length of lane cut out around each marked defect, m."""


@dataclass(frozen=True)
class RollOverhead:
    """Minutes a tool spends on one roll besides processing it."""

    load_thread: float = 0.0
    pump_down: float = 0.0
    vent: float = 0.0
    unload: float = 0.0

    @property
    def total(self) -> float:
        """All of it: what a roll-coupled tool spends per roll."""
        return self.load_thread + self.pump_down + self.vent + self.unload

    @property
    def unwind_change(self) -> float:
        """Stop at the head of an inline segment when its unwind roll runs out: vent, load, pump."""
        return self.vent + self.load_thread + self.pump_down

    @property
    def rewind_change(self) -> float:
        """Stop at the tail of an inline segment to take off a finished roll."""
        return self.unload


class RecipeStep(BaseModel):
    """One step of a product's recipe, for one station type (``station_type`` says which)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    station_type: str
    label: str | None = Field(default=None, description="A name for the step in reports.")

    def lays_supplemental(self) -> bool:
        """True for a step that lays a supplemental (protective) layer on the web."""
        return False

    def silicon_loading_mg_cm2(self) -> float:
        """Silicon the step deposits, mg/cm² (0 for a step that lays none)."""
        return 0.0

    def changeover_key(self) -> tuple[object, ...]:
        """The settings whose change between two steps needs a changeover on the tool."""
        return tuple(
            value
            for name, value in self.model_dump(mode="json").items()
            if name not in ("label", "station_type")
        )


StepClass = type[RecipeStep]
"""The class of a recipe step (a name that a field called ``type`` cannot shadow)."""

STATION_TYPES: dict[str, type[Equipment[RecipeStep]]] = {}
"""Every station type by its ``type`` tag, filled as subclasses are defined."""


def ramp_minutes(from_c: float, to_c: float, up_c_min: float, down_c_min: float) -> float:
    """Minutes to change a heated zone from ``from_c`` to ``to_c`` at the given ramp rates."""
    delta = to_c - from_c
    if delta > 0:
        return delta / up_c_min
    return -delta / down_c_min


StepT = TypeVar("StepT", bound=RecipeStep)


class Equipment(BaseModel, Generic[StepT]):
    """A piece of web-processing equipment: what it can do, independent of any recipe.

    Subclasses are parametrised by their recipe-step class, ``Equipment[AnnealStep]``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    type: str
    step_type: ClassVar[StepClass] = RecipeStep
    usage_counters: ClassVar[dict[str, str]] = {}
    """Consumption counters this type reports per metre, by name, with their unit."""
    default_defect_rates_per_m2: ClassVar[dict[DefectType, float]] = {}

    web_width_m: float = Field(gt=0, le=5, description="Widest web the tool takes, m.")
    max_speed_m_min: float = Field(gt=0, le=1000, description="Mechanical top web speed, m/min.")
    load_thread: Duration = Field(
        default=15.0, description="Load a roll on the unwind and thread the web, minutes."
    )
    unload: Duration = Field(
        default=10.0, description="Cut and take off the rewound roll, minutes."
    )
    pump_down: Duration = Field(
        default=0.0, description="Pump the chamber down after loading, minutes (vacuum tools)."
    )
    vent: Duration = Field(
        default=0.0, description="Vent the chamber before unloading, minutes (vacuum tools)."
    )
    recipe_change: Duration = Field(
        default=0.0, description="Fixed time to change between two different recipes, minutes."
    )
    defect_rates_per_m2: dict[DefectType, Annotated[float, Field(ge=0, le=1000)]] | None = Field(
        default=None,
        description="Defects laid per m² of web by type; omitted types use the type's defaults.",
    )
    startup_length_m: float = Field(
        default=2.0,
        ge=0,
        le=1000,
        description="Web left out of specification when the station restarts mid-roll, m "
        "(assumed).",
    )
    web_break_loss_m: float = Field(
        default=20.0, ge=0, le=1000, description="Web lost at a web break, m (assumed)."
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: object) -> None:
        """Register the subclass under its ``type`` tag."""
        super().__pydantic_init_subclass__(**kwargs)
        tag = cls.model_fields["type"].default
        if isinstance(tag, str):
            STATION_TYPES[tag] = cls  # type: ignore[assignment]

    # --- physics each type supplies -----------------------------------------------------------
    def process_speed_m_min(self, step: StepT) -> float:
        """The web speed one pass of ``step`` allows, m/min (before the speed cap)."""
        raise NotImplementedError

    def passes(self, step: StepT) -> int:
        """Passes of the web through the tool that ``step`` needs (1 unless the type says)."""
        return 1

    def check(self, step: StepT) -> list[Problem]:
        """Problems with ``step`` on this equipment: process windows, missing capabilities."""
        return []

    def consumption_per_m(self, step: StepT) -> dict[str, float]:
        """Usage per metre of web for each of :attr:`usage_counters`."""
        return {}

    # --- shared answers -----------------------------------------------------------------------
    def web_speed_m_min(self, step: StepT) -> float:
        """The effective web speed for ``step``, m/min.

        Each pass runs at the process speed capped by the top speed; the passes share the time.
        """
        return min(self.max_speed_m_min, self.process_speed_m_min(step)) / self.passes(step)

    def roll_overhead(self, step: StepT) -> RollOverhead:
        """Per-roll overhead for ``step``: load and thread, pump-down, vent, unload."""
        return RollOverhead(self.load_thread, self.pump_down, self.vent, self.unload)

    def changeover_min(self, previous: StepT | None, step: StepT) -> float:
        """Minutes to change the tool from ``previous`` to ``step`` (0 for the first roll)."""
        if previous is None or previous.changeover_key() == step.changeover_key():
            return 0.0
        return self.recipe_change + self.extra_changeover_min(previous, step)

    def extra_changeover_min(self, previous: StepT, step: StepT) -> float:
        """Type-specific changeover time on top of :attr:`recipe_change` (ramps, gas purges)."""
        return 0.0

    def defect_rates(
        self, step: StepT, usage: Mapping[str, Level] | None = None
    ) -> dict[DefectType, Level]:
        """Defects per m² by type this tool lays while running ``step``.

        ``usage`` holds the tool's usage counters since their last maintenance (for example the
        PECVD wall deposit), for types whose rates depend on the tool's condition. Counters may
        be arrays (one value per roll): the rates that depend on them are then arrays too.
        """
        rates: dict[DefectType, Level] = dict(self.default_defect_rates_per_m2)
        rates.update(self.defect_rates_per_m2 or {})
        return rates

    def temperature_deviations_per_h(self, step: StepT) -> float:
        """Temperature excursions per operating hour that put a stretch out of spec (none)."""
        return 0.0

    def deviation_length_m(self) -> float:
        """Web a temperature excursion puts out of specification, m."""
        return 0.0

    def sticking_per_m2_unprotected(self, step: StepT) -> float | None:
        """Lithium sticking spots per m² if ``step`` leaves bare lithium wound (None: it never)."""
        return None

    def lane_layout(self, step: StepT) -> LaneLayout | None:
        """How ``step`` cuts the web into lanes (None: it does not slit)."""
        return None

    def roll_process_time(self, step: StepT, length_m: float) -> Distribution:
        """Minutes to process a roll of ``length_m`` once it is loaded: length / web speed."""
        # Worked out, not given: no input limit applies (a slow layer may take longer than any
        # duration a person types), so the value is not validated again.
        return Fixed.model_construct(value=length_m / self.web_speed_m_min(step))

    def roll_time_min(self, step: StepT, length_m: float) -> float:
        """Mean minutes a roll-coupled tool spends on a roll of ``length_m``: overhead + process."""
        return self.roll_overhead(step).total + self.roll_process_time(step, length_m).mean()


class HeatedZone(Equipment[StepT], Generic[StepT]):
    """A continuous furnace or oven: the web dwells in a heated zone of a given length.

    Web speed = heated length / dwell. Temperature excursions, a Poisson process in operating
    time, each put the web then in the zone out of specification.
    """

    heated_length_m: float = Field(gt=0, le=500, description="Length of the heated zone, m.")
    excursions_per_h: float = Field(
        default=0.005,
        ge=0,
        le=10,
        description="Temperature excursions per operating hour, each putting the heated length "
        "out of specification (assumed).",
    )

    def dwell_min(self, step: StepT) -> float:
        """Minutes the step must spend in the heated zone."""
        raise NotImplementedError

    def process_speed_m_min(self, step: StepT) -> float:
        """Heated length / dwell, m/min."""
        return self.heated_length_m / self.dwell_min(step)

    def temperature_deviations_per_h(self, step: StepT) -> float:
        """Temperature excursions per operating hour."""
        return self.excursions_per_h

    def deviation_length_m(self) -> float:
        """An excursion spoils the web then in the heated zone, m."""
        return self.heated_length_m
