"""PECVD web coater: deposits the porous amorphous-silicon storage layer, optionally capped.

A roll-to-roll PECVD tool is rated by its dynamic deposition rate (thickness × web speed, nm·m/min)
per source, so web speed = dynamic rate × sources / thickness (domain.md, PECVD). A SiNx, SiO2 or
SiOx supplemental layer made in the same tool at the end of deposition (000) runs from its own cap
sources, and the slower of the two zones sets the speed. Deposit builds up on the chamber walls in
proportion to thickness × length coated, which drives the chamber clean.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from stations.base import (
    DefectType,
    Equipment,
    Level,
    Problem,
    RecipeStep,
    StepClass,
    Window,
    ramp_minutes,
)
from stations.units import Duration

SI_THICKNESS_WINDOW = Window(0.5, 50, "µm", "000: porous silicon 0.5–50 µm")
SUBSTRATE_TEMPERATURE_WINDOW = Window(100, 600, "°C", "000: substrate 100–600 °C")
DENSITY_WINDOW = Window(1.1, 2.2, "g/cm³", "000: density 1.1–2.2 g/cm³")
CAP_WINDOWS = {
    "SiNx": Window(2, 50, "nm", "000: SiNx 2–50 nm"),
    "SiO2": Window(10, 150, "nm", "000: SiO2 10–150 nm"),
    "SiOx": Window(150, 350, "nm", "000: SiOx about 250 nm; ±100 nm assumed"),
}
WALL_DEPOSIT = "wall_deposit_um_m"


class CapLayer(BaseModel):
    """A supplemental layer deposited in the PECVD tool at the end of the silicon."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    material: Literal["SiNx", "SiO2", "SiOx"] = Field(description="Cap material.")
    thickness_nm: float = Field(gt=0, le=5000, description="Cap thickness, nm.")


class PecvdStep(RecipeStep):
    """Deposit porous silicon of a given thickness, and optionally a cap layer."""

    station_type: Literal["pecvd"] = "pecvd"
    si_thickness_um: float = Field(gt=0, le=500, description="Silicon layer thickness, µm.")
    density_g_cm3: float = Field(
        default=2.0,
        gt=0,
        le=2.33,
        description="Film density, g/cm³ (000, anode 1: 4 µm at 0.8 mg/cm² gives 2.0).",
    )
    substrate_temperature_c: float = Field(
        default=300.0, gt=0, le=1000, description="Substrate temperature, °C (000: about 300)."
    )
    doped: bool = Field(default=False, description="Boron doped (needs a dopant gas line).")
    cap: CapLayer | None = Field(default=None, description="Supplemental layer made in the tool.")

    @property
    def si_loading_mg_cm2(self) -> float:
        """Silicon per area, mg/cm²: thickness (µm → 1e-4 cm) × density (g/cm³ → 1e3 mg/cm³)."""
        return self.si_thickness_um * 1e-4 * self.density_g_cm3 * 1e3

    def silicon_loading_mg_cm2(self) -> float:
        """The silicon this step deposits, mg/cm²."""
        return self.si_loading_mg_cm2

    def lays_supplemental(self) -> bool:
        """A cap made in the tool at the end of the silicon is a supplemental layer (000)."""
        return self.cap is not None


class PecvdCoater(Equipment[PecvdStep]):
    """A vacuum roll-to-roll PECVD coater with silicon sources and optional cap sources."""

    type: Literal["pecvd"] = "pecvd"
    step_type: ClassVar[StepClass] = PecvdStep
    usage_counters: ClassVar[dict[str, str]] = {WALL_DEPOSIT: "µm·m deposited on the walls"}
    default_defect_rates_per_m2: ClassVar[dict[DefectType, float]] = {
        DefectType.PINHOLE: 0.01,  # assumed
        DefectType.PARTICLE: 0.05,  # assumed, at a clean chamber
        DefectType.THICKNESS: 0.002,  # assumed
        DefectType.WEB_BREAK: 5e-6,  # assumed
    }

    sources: int = Field(ge=1, le=64, description="Silicon deposition sources along the web.")
    dynamic_rate_nm_m_min: float = Field(
        gt=0,
        le=100_000,
        description="Dynamic deposition rate per source, nm·m/min (outside: magnetron up to "
        "about 400, hollow-cathode arc up to about 3000).",
    )
    cap_sources: int = Field(default=0, ge=0, le=16, description="Sources for cap layers.")
    cap_dynamic_rate_nm_m_min: float = Field(
        default=400.0, gt=0, le=100_000, description="Dynamic rate per cap source, nm·m/min."
    )
    pump_down: Duration = Field(default=45.0, description="Pump-down after loading, minutes.")
    vent: Duration = Field(default=20.0, description="Vent before unloading, minutes.")
    gas_change: Duration = Field(
        default=30.0, description="Purge to switch between doped and undoped silicon, minutes."
    )
    ramp_c_min: float = Field(
        default=5.0, gt=0, le=1000, description="Substrate heater ramp, °C/min."
    )
    particle_rise_per_m2: float = Field(
        default=0.002,
        ge=0,
        le=1000,
        description="Particles per m² added per 1000 µm·m of wall deposit since the last chamber "
        "clean (assumed: flakes from the walls grow with the deposit).",
    )

    def process_speed_m_min(self, step: PecvdStep) -> float:
        """Dynamic rate × sources / thickness for silicon and for the cap; the slower wins."""
        speed = self.dynamic_rate_nm_m_min * self.sources / (step.si_thickness_um * 1000)
        if step.cap is not None and self.cap_sources > 0:
            cap_speed = self.cap_dynamic_rate_nm_m_min * self.cap_sources / step.cap.thickness_nm
            speed = min(speed, cap_speed)
        return speed

    def consumption_per_m(self, step: PecvdStep) -> dict[str, float]:
        """Wall deposit grows with the thickness deposited on each metre, µm·m per m."""
        cap_um = step.cap.thickness_nm / 1000 if step.cap else 0.0
        return {WALL_DEPOSIT: step.si_thickness_um + cap_um}

    def defect_rates(
        self, step: PecvdStep, usage: Mapping[str, Level] | None = None
    ) -> dict[DefectType, Level]:
        """Base rates, with particles rising linearly with the wall deposit since the clean."""
        rates = super().defect_rates(step, usage)
        deposit = (usage or {}).get(WALL_DEPOSIT, 0.0)
        rates[DefectType.PARTICLE] = (
            rates.get(DefectType.PARTICLE, 0.0) + self.particle_rise_per_m2 * deposit / 1000
        )
        return rates

    def extra_changeover_min(self, previous: PecvdStep, step: PecvdStep) -> float:
        """Substrate temperature ramp, plus a gas purge when the dopant changes."""
        ramp = ramp_minutes(
            previous.substrate_temperature_c,
            step.substrate_temperature_c,
            self.ramp_c_min,
            self.ramp_c_min,
        )
        return ramp + (self.gas_change if previous.doped != step.doped else 0.0)

    def check(self, step: PecvdStep) -> list[Problem]:
        """Thickness, density, substrate temperature and cap against 000; cap needs cap sources."""
        findings = [
            *SI_THICKNESS_WINDOW.check(
                "silicon thickness", step.si_thickness_um, "si_thickness_um"
            ),
            *DENSITY_WINDOW.check("silicon density", step.density_g_cm3, "density_g_cm3"),
            *SUBSTRATE_TEMPERATURE_WINDOW.check(
                "PECVD substrate temperature",
                step.substrate_temperature_c,
                "substrate_temperature_c",
            ),
        ]
        if step.cap is not None:
            findings += CAP_WINDOWS[step.cap.material].check(
                f"{step.cap.material} cap thickness", step.cap.thickness_nm, "cap.thickness_nm"
            )
            if self.cap_sources == 0:
                findings.append(
                    Problem(
                        "cap",
                        f"a {step.cap.material} cap needs cap sources, and this PECVD tool has "
                        "cap_sources: 0",
                        "error",
                    )
                )
        return findings
