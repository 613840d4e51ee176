"""Thermal lithium evaporation: prelithiation, lithium before the silicon, or a lithium-metal anode.

The lithium thickness follows from the silicon loading and the prelithiation fraction: lithium mass
per area = fraction × Si loading × Si capacity / Li capacity (3860 mAh/g), and thickness = mass /
density (0.534 g/cm³) (000; domain.md, lithium evaporation). The web speed is the dynamic rate
(µm·m/min) × sources / thickness, in as many passes as the per-pass limit needs (outside: 1–20 µm
per pass). Evaporated lithium is counted in kg for the source refill.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from stations.base import DefectType, Equipment, Problem, RecipeStep, StepClass, Window
from stations.units import Duration

LI_CAPACITY_MAH_G = 3860.0  # lithium metal (000)
LI_DENSITY_G_CM3 = 0.534  # lithium metal (000)
SI_THEORETICAL_MAH_G = 3600.0  # silicon (000)
LITHIUM = "lithium_kg"

WINDOWS: dict[str, Window] = {
    "prelithiation": Window(1, 100, "%", "000: 1–100 % of the layer's capacity"),
    "pre_silicon": Window(2, 50, "%", "000: 2–50 % of the storage layer's capacity"),
}
METAL_ANODE_WINDOW = Window(2, 100, "µm", "001: lithium metal layers 2–100 µm")


class LithiumStep(RecipeStep):
    """Evaporate lithium: give its thickness, or a fraction of the silicon's capacity."""

    station_type: Literal["li_evaporation"] = "li_evaporation"
    role: Literal["prelithiation", "pre_silicon", "metal_anode"] = Field(
        default="prelithiation",
        description="prelithiation (onto the silicon), pre_silicon (onto the oxide), metal_anode.",
    )
    li_thickness_um: float | None = Field(
        default=None, gt=0, le=500, description="Lithium thickness, µm; or give the fraction."
    )
    prelithiation_fraction: float | None = Field(
        default=None, gt=0, le=1, description="Lithium as a fraction of the silicon's capacity."
    )
    si_loading_mg_cm2: float | None = Field(
        default=None,
        gt=0,
        le=50,
        description="Silicon loading, mg/cm²; taken from the recipe's PECVD step when omitted.",
    )
    si_capacity_mah_g: float = Field(
        default=SI_THEORETICAL_MAH_G,
        gt=0,
        le=4200,
        description="Silicon capacity the fraction refers to, mAh/g (000: about 3600).",
    )

    @model_validator(mode="after")
    def _one_way_to_the_thickness(self) -> LithiumStep:
        if (self.li_thickness_um is None) == (self.prelithiation_fraction is None):
            raise ValueError("give exactly one of li_thickness_um and prelithiation_fraction")
        return self

    def thickness_um(self) -> float:
        """Lithium thickness, µm: given, or from fraction × Si loading × capacities / density."""
        if self.li_thickness_um is not None:
            return self.li_thickness_um
        if self.prelithiation_fraction is None or self.si_loading_mg_cm2 is None:
            raise ValueError("lithium thickness needs si_loading_mg_cm2 with the fraction")
        li_mg_cm2 = (
            self.prelithiation_fraction
            * self.si_loading_mg_cm2
            * self.si_capacity_mah_g
            / LI_CAPACITY_MAH_G
        )
        # mg/cm² / (g/cm³ × 1000 mg/g) = cm; × 1e4 µm/cm
        return li_mg_cm2 / (LI_DENSITY_G_CM3 * 1000) * 1e4


class LithiumEvaporator(Equipment[LithiumStep]):
    """A vacuum thermal-evaporation web coater with lithium sources (crucibles)."""

    type: Literal["li_evaporation"] = "li_evaporation"
    step_type: ClassVar[StepClass] = LithiumStep
    usage_counters: ClassVar[dict[str, str]] = {LITHIUM: "kg of lithium evaporated"}
    default_defect_rates_per_m2: ClassVar[dict[DefectType, float]] = {
        DefectType.PARTICLE: 0.01,  # assumed (spits)
        DefectType.THICKNESS: 0.002,  # assumed
        DefectType.WEB_BREAK: 5e-6,  # assumed
    }

    sources: int = Field(default=1, ge=1, le=32, description="Evaporation sources.")
    dynamic_rate_um_m_min: float = Field(
        gt=0, le=10_000, description="Dynamic rate per source, µm·m/min (thickness × speed)."
    )
    max_thickness_per_pass_um: float = Field(
        default=20.0, gt=0, le=100, description="Most lithium in one pass, µm (outside: 1–20)."
    )
    crucible_capacity_kg: float = Field(
        gt=0, le=1000, description="Lithium a full set of crucibles holds, kg."
    )
    material_utilisation: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="Fraction of evaporated lithium that lands on the web (assumed 0.6).",
    )
    sticking_per_m2: float = Field(
        default=0.5,
        ge=0,
        le=1000,
        description="Sticking spots per m² when prelithiated silicon is wound with no "
        "supplemental layer on it (000; rate assumed).",
    )
    pump_down: Duration = Field(default=40.0, description="Pump-down after loading, minutes.")
    vent: Duration = Field(default=20.0, description="Vent (with argon) before unloading, minutes.")

    def passes(self, step: LithiumStep) -> int:
        """Passes needed: thickness / per-pass limit, rounded up."""
        return math.ceil(round(step.thickness_um() / self.max_thickness_per_pass_um, 9))

    def process_speed_m_min(self, step: LithiumStep) -> float:
        """Speed of one pass, m/min: dynamic rate × sources / the thickness laid per pass."""
        per_pass_um = step.thickness_um() / self.passes(step)
        return self.dynamic_rate_um_m_min * self.sources / per_pass_um

    def consumption_per_m(self, step: LithiumStep) -> dict[str, float]:
        """Lithium evaporated per metre, kg: thickness × width × 534 kg/m³ / utilisation."""
        deposited_kg = step.thickness_um() * 1e-6 * self.web_width_m * LI_DENSITY_G_CM3 * 1000
        return {LITHIUM: deposited_kg / self.material_utilisation}

    def sticking_per_m2_unprotected(self, step: LithiumStep) -> float | None:
        """Prelithiated silicon wound with no supplemental layer sticks (000)."""
        return self.sticking_per_m2 if step.role == "prelithiation" else None

    def check(self, step: LithiumStep) -> list[Problem]:
        """Fraction or thickness against the windows of 000 and 001."""
        if step.prelithiation_fraction is not None and step.si_loading_mg_cm2 is None:
            return [
                Problem(
                    "si_loading_mg_cm2",
                    "prelithiation_fraction needs si_loading_mg_cm2, or a PECVD step before it",
                    "error",
                )
            ]
        if step.role == "metal_anode":
            return METAL_ANODE_WINDOW.check(
                "lithium thickness", step.thickness_um(), "li_thickness_um"
            )
        if step.prelithiation_fraction is None:
            return []
        return WINDOWS[step.role].check(
            f"{step.role.replace('_', '-')} lithium",
            round(step.prelithiation_fraction * 100, 6),
            "prelithiation_fraction",
        )
