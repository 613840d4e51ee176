"""Anneal (heat treatment) after the silicon: a continuous oven under argon, nitrogen or vacuum.

Claim 1 of 000: 100–600 °C for 0.1–120 min, with O2 and H2O partial pressures each below 1 Torr
(claim 2). During or after prelithiation the window is 50–350 °C (000). Web speed = heated length /
dwell.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from stations.base import (
    DefectType,
    HeatedZone,
    RecipeStep,
    StepClass,
    Window,
    ramp_minutes,
)
from stations.problems import Problem
from stations.units import Duration, PositiveDuration

TEMPERATURE_WINDOW = Window(100, 600, "°C", "000, claim 1")
PRELITHIATED_TEMPERATURE_WINDOW = Window(50, 350, "°C", "000: during or after prelithiation")
DWELL_WINDOW = Window(0.1, 120, "min", "000, claim 1")
PARTIAL_PRESSURE_WINDOW = Window(0, 1, "Torr", "000, claim 2: below 1 Torr")


class AnnealStep(RecipeStep):
    """Hold the web at a temperature for a dwell, in a protective atmosphere."""

    station_type: Literal["anneal"] = "anneal"
    temperature_c: float = Field(gt=0, le=1500, description="Oven set point, °C.")
    dwell: PositiveDuration = Field(description="Time in the heated zone, minutes (or '10min').")
    atmosphere: Literal["argon", "nitrogen", "vacuum"] = Field(
        default="argon", description="Protective atmosphere (000)."
    )
    o2_torr: float = Field(default=0.05, ge=0, le=1000, description="O2 partial pressure, Torr.")
    h2o_torr: float = Field(default=0.05, ge=0, le=1000, description="H2O partial pressure, Torr.")
    prelithiated: bool = Field(
        default=False, description="The web carries prelithiation lithium (50–350 °C window)."
    )


class AnnealOven(HeatedZone[AnnealStep]):
    """A continuous oven (tube furnace, IR heaters or heated drum) the web passes through."""

    type: Literal["anneal"] = "anneal"
    step_type: ClassVar[StepClass] = AnnealStep
    default_defect_rates_per_m2: ClassVar[dict[DefectType, float]] = {
        DefectType.WRINKLE: 0.0005,  # assumed (thermal mismatch, 004)
        DefectType.THICKNESS: 0.0005,  # assumed
        DefectType.WEB_BREAK: 2e-6,  # assumed
    }

    ramp_up_c_min: float = Field(
        default=10.0, gt=0, le=1000, description="Heating rate, °C/min (assumed)."
    )
    ramp_down_c_min: float = Field(
        default=5.0, gt=0, le=1000, description="Cooling rate, °C/min (assumed)."
    )
    atmosphere_change: Duration = Field(
        default=30.0, description="Purge to change the atmosphere, minutes (assumed)."
    )

    def dwell_min(self, step: AnnealStep) -> float:
        """The step's dwell, minutes."""
        return step.dwell

    def extra_changeover_min(self, previous: AnnealStep, step: AnnealStep) -> float:
        """Ramp between set points, plus a purge when the atmosphere changes."""
        ramp = ramp_minutes(
            previous.temperature_c, step.temperature_c, self.ramp_up_c_min, self.ramp_down_c_min
        )
        purge = self.atmosphere_change if previous.atmosphere != step.atmosphere else 0.0
        return ramp + purge

    def check(self, step: AnnealStep) -> list[Problem]:
        """Temperature, dwell and atmosphere against claims 1 and 2 of 000."""
        temperature = PRELITHIATED_TEMPERATURE_WINDOW if step.prelithiated else TEMPERATURE_WINDOW
        return [
            *temperature.check("anneal temperature", step.temperature_c, "temperature_c"),
            *DWELL_WINDOW.check("anneal dwell", step.dwell, "dwell"),
            *PARTIAL_PRESSURE_WINDOW.check("anneal O2 partial pressure", step.o2_torr, "o2_torr"),
            *PARTIAL_PRESSURE_WINDOW.check(
                "anneal H2O partial pressure", step.h2o_torr, "h2o_torr"
            ),
        ]
