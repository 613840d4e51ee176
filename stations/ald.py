"""Spatial ALD: nanometre oxide, supplemental and ion-conducting layers.

One cycle per head per pass.

Thickness sets the number of cycles (thickness / growth per cycle, about 0.1 nm, outside); a
roll-to-roll spatial head gives one cycle per pass, so cycles / heads sets the passes, and each
pass runs at the heads' exposure-limited speed (domain.md, ALD).
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field

from stations.base import DefectType, Equipment, Problem, RecipeStep, StepClass, Window
from stations.units import Duration

AldMaterial = Literal["TiO2", "Al2O3", "LiPON", "Li3PO4", "LiAlO2", "LLTO", "alucone"]
AldRole = Literal["oxide", "supplemental", "ion_conductor", "polymer"]
METAL_OXIDES: frozenset[str] = frozenset({"TiO2", "Al2O3"})
PRECURSOR = "precursor_g"

_ION_CONDUCTOR = Window(0.5, 200, "nm", "000: LiPON, Li phosphate, LiAlO, LLTO 0.5–200 nm")
WINDOWS: dict[tuple[str, str], Window] = {
    ("TiO2", "supplemental"): Window(2, 20, "nm", "000: TiO2 2–20 nm"),
    ("TiO2", "oxide"): Window(10, 200, "nm", "000: TiO2 on Cu 0.01–0.20 µm"),
    ("Al2O3", "supplemental"): Window(4, 10, "nm", "000: Al2O3 about 4–10 nm"),
    ("Al2O3", "oxide"): Window(4, 10, "nm", "000: Al2O3 about 4–10 nm"),
    **{(m, "ion_conductor"): _ION_CONDUCTOR for m in ("LiPON", "Li3PO4", "LiAlO2", "LLTO")},
    ("alucone", "polymer"): Window(0.5, 10_000, "nm", "001, 003: polymer layers, 0.5–10 µm in all"),
}


class AldStep(RecipeStep):
    """Grow one ALD (or MLD) layer."""

    station_type: Literal["ald"] = "ald"
    material: AldMaterial = Field(description="Layer material.")
    thickness_nm: float = Field(gt=0, le=10_000, description="Layer thickness, nm.")
    role: AldRole = Field(
        default="supplemental",
        description="oxide (first layer on the foil), supplemental, ion_conductor or polymer.",
    )

    def lays_supplemental(self) -> bool:
        """Supplemental, ion-conducting and polymer layers protect what lies under them."""
        return self.role in ("supplemental", "ion_conductor", "polymer")


class SpatialAld(Equipment[AldStep]):
    """An atmospheric-pressure spatial ALD web coater with a number of heads."""

    type: Literal["ald"] = "ald"
    step_type: ClassVar[StepClass] = AldStep
    usage_counters: ClassVar[dict[str, str]] = {PRECURSOR: "g of precursor"}
    default_defect_rates_per_m2: ClassVar[dict[DefectType, float]] = {
        DefectType.PINHOLE: 0.005,  # assumed
        DefectType.PARTICLE: 0.005,  # assumed
        DefectType.WEB_BREAK: 2e-6,  # assumed
    }

    heads: int = Field(ge=1, le=200, description="Spatial ALD heads: cycles per pass.")
    head_speed_m_min: float = Field(
        gt=0, le=1000, description="Web speed at which one head completes one cycle, m/min."
    )
    growth_per_cycle_nm: float = Field(
        default=0.1, gt=0, le=5, description="Growth per cycle, nm (outside: about 0.1 nm)."
    )
    precursor_g_per_m2_cycle: float = Field(
        default=0.002, ge=0, le=100, description="Precursor used per m² per cycle, g (assumed)."
    )
    precursor_change: Duration = Field(
        default=60.0, description="Change of precursor when the material changes, minutes."
    )

    def cycles(self, step: AldStep) -> int:
        """ALD cycles for the layer: thickness / growth per cycle, rounded up."""
        return math.ceil(round(step.thickness_nm / self.growth_per_cycle_nm, 9))

    def passes(self, step: AldStep) -> int:
        """Passes of the web under the heads: cycles / heads, rounded up."""
        return math.ceil(self.cycles(step) / self.heads)

    def process_speed_m_min(self, step: AldStep) -> float:
        """The heads' speed for one cycle each, m/min (every pass runs at it)."""
        return self.head_speed_m_min

    def consumption_per_m(self, step: AldStep) -> dict[str, float]:
        """Precursor per metre of web: cycles × width × g per m² per cycle."""
        return {PRECURSOR: self.cycles(step) * self.web_width_m * self.precursor_g_per_m2_cycle}

    def extra_changeover_min(self, previous: AldStep, step: AldStep) -> float:
        """A precursor change when the material changes."""
        return self.precursor_change if previous.material != step.material else 0.0

    def check(self, step: AldStep) -> list[Problem]:
        """Thickness against the window of the material in its role (000, 001, 003)."""
        window = WINDOWS.get((step.material, step.role))
        if window is None:
            known = [role for material, role in WINDOWS if material == step.material]
            return [
                Problem(
                    "role",
                    f"{step.material} is not used as a {step.role} layer in the process "
                    f"(known uses: {', '.join(sorted(known))})",
                    "error",
                )
            ]
        return window.check(f"{step.material} thickness", step.thickness_nm, "thickness_nm")
