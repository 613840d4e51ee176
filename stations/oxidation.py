"""Oxidation furnace: grows a metal oxide (NiO on Ni foil) in air as the web passes a heated zone.

Growth is parabolic, x² = k_p(T)·t, with an Arrhenius k_p calibrated to the seed example: 700 °C for
30 min gives 0.7–1.2 µm of oxide (000, anodes 1–10). The dwell a recipe needs is x²/k_p(T), and the
web speed is heated length / dwell (domain.md, oxidation furnace).
"""

from __future__ import annotations

import math
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

GAS_CONSTANT_J_MOL_K = 8.314462618
KELVIN_OFFSET = 273.15

TEMPERATURE_WINDOW = Window(300, 1000, "°C", "000: ≥ 300 °C; upper bound assumed")
DWELL_WINDOW = Window(1, 120, "min", "000: hold about 1 min to 2 h")
THICKNESS_WINDOW = Window(0.01, 1.2, "µm", "000, claim 1: ≥ 0.01 µm; 0.7–1.2 µm in anodes 1–10")


class OxidationStep(RecipeStep):
    """Grow an oxide of a given thickness at a given temperature."""

    station_type: Literal["oxidation"] = "oxidation"
    temperature_c: float = Field(gt=0, le=1500, description="Furnace set point, °C.")
    oxide_thickness_um: float = Field(gt=0, le=100, description="Oxide to grow, µm.")


class OxidationFurnace(HeatedZone[OxidationStep]):
    """A continuous air furnace the foil passes through."""

    type: Literal["oxidation"] = "oxidation"
    step_type: ClassVar[StepClass] = OxidationStep
    default_defect_rates_per_m2: ClassVar[dict[DefectType, float]] = {
        DefectType.THICKNESS: 0.001,  # assumed
        DefectType.WRINKLE: 0.0005,  # assumed
        DefectType.WEB_BREAK: 2e-6,  # assumed
    }

    activation_energy_kj_mol: float = Field(
        default=200.0,
        gt=0,
        le=1000,
        description="Activation energy of k_p, kJ/mol (outside: about 150–250 kJ/mol for Ni).",
    )
    calibration_temperature_c: float = Field(
        default=700.0, gt=0, le=2000, description="Temperature of the calibration point, °C (000)."
    )
    calibration_dwell_min: float = Field(
        default=30.0,
        ge=0.01,
        le=100_000,
        description="Dwell of the calibration point, minutes (000).",
    )
    calibration_thickness_um: float = Field(
        default=0.95,
        ge=0.001,
        le=100,
        description="Oxide at the calibration point, µm (000: 0.7–1.2 µm; 0.95 the middle).",
    )
    ramp_up_c_min: float = Field(
        default=5.0, gt=0, le=1000, description="Heating rate, °C/min (assumed)."
    )
    ramp_down_c_min: float = Field(
        default=3.0, gt=0, le=1000, description="Cooling rate, °C/min (assumed)."
    )

    def parabolic_rate_um2_min(self, temperature_c: float) -> float:
        """k_p(T) in µm²/min: the calibration point's x²/t scaled by the Arrhenius factor."""
        k_ref = self.calibration_thickness_um**2 / self.calibration_dwell_min
        t_kelvin = temperature_c + KELVIN_OFFSET
        t_ref_kelvin = self.calibration_temperature_c + KELVIN_OFFSET
        exponent = -self.activation_energy_kj_mol * 1e3 / GAS_CONSTANT_J_MOL_K
        return k_ref * math.exp(exponent * (1 / t_kelvin - 1 / t_ref_kelvin))

    def oxide_thickness_um(self, temperature_c: float, dwell_min: float) -> float:
        """Oxide grown in ``dwell_min`` at ``temperature_c``, µm: sqrt(k_p·t)."""
        return math.sqrt(self.parabolic_rate_um2_min(temperature_c) * dwell_min)

    def dwell_min(self, step: OxidationStep) -> float:
        """Dwell the step needs, minutes: x² / k_p(T)."""
        return step.oxide_thickness_um**2 / self.parabolic_rate_um2_min(step.temperature_c)

    def extra_changeover_min(self, previous: OxidationStep, step: OxidationStep) -> float:
        """Ramp the furnace between the two set points."""
        return ramp_minutes(
            previous.temperature_c, step.temperature_c, self.ramp_up_c_min, self.ramp_down_c_min
        )

    def check(self, step: OxidationStep) -> list[Problem]:
        """Temperature, oxide thickness and the dwell they imply against the windows of 000."""
        return [
            *TEMPERATURE_WINDOW.check("oxidation temperature", step.temperature_c, "temperature_c"),
            *THICKNESS_WINDOW.check(
                "oxide thickness", step.oxide_thickness_um, "oxide_thickness_um"
            ),
            *DWELL_WINDOW.check(
                "oxidation dwell", round(self.dwell_min(step), 2), "oxide_thickness_um"
            ),
        ]
