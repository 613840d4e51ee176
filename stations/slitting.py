"""Slitter: cuts the finished web into lanes for cell assembly, wound as product rolls (000)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from stations.base import DefectType, Equipment, LaneLayout, Problem, RecipeStep, StepClass
from stations.units import Duration


class SlittingStep(RecipeStep):
    """Cut the web into ``lanes`` lanes of ``lane_width_mm``, trimming both edges."""

    station_type: Literal["slitting"] = "slitting"
    lanes: int = Field(ge=1, le=100, description="Number of lanes.")
    lane_width_mm: float = Field(gt=0, le=5000, description="Width of one lane, mm.")
    edge_trim_mm: float = Field(default=10.0, ge=0, le=500, description="Trim on each edge, mm.")

    def used_width_mm(self) -> float:
        """Web width the layout needs, mm: lanes × lane width + both edge trims."""
        return self.lanes * self.lane_width_mm + 2 * self.edge_trim_mm


class Slitter(Equipment[SlittingStep]):
    """A slitter-rewinder with shear or razor knives."""

    type: Literal["slitting"] = "slitting"
    step_type: ClassVar[StepClass] = SlittingStep
    default_defect_rates_per_m2: ClassVar[dict[DefectType, float]] = {
        DefectType.WRINKLE: 0.0002,  # assumed (edge waviness)
        DefectType.WEB_BREAK: 5e-6,  # assumed
    }

    line_speed_m_min: float = Field(gt=0, le=1000, description="Slitting line speed, m/min.")
    cut_out_length_m: float = Field(
        default=0.5,
        gt=0,
        le=100,
        description="Length of lane cut out around each marked defect, m (assumed).",
    )
    knife_change: Duration = Field(
        default=20.0, description="Reset the knives for another lane layout, minutes."
    )

    def process_speed_m_min(self, step: SlittingStep) -> float:
        """The slitting line speed, m/min."""
        return self.line_speed_m_min

    def extra_changeover_min(self, previous: SlittingStep, step: SlittingStep) -> float:
        """A knife reset: every changeover of a slitter is a new lane layout."""
        return self.knife_change

    def lane_layout(self, step: SlittingStep) -> LaneLayout:
        """The step's lanes and trims, with this slitter's cut-out length."""
        return LaneLayout(step.lanes, step.lane_width_mm, step.edge_trim_mm, self.cut_out_length_m)

    def check(self, step: SlittingStep) -> list[Problem]:
        """The lane layout must fit the slitter's width."""
        if step.used_width_mm() > self.web_width_m * 1000 + 1e-6:
            return [
                Problem(
                    "lanes",
                    f"{step.lanes} lanes × {step.lane_width_mm:g} mm + 2 × {step.edge_trim_mm:g} "
                    f"mm trim = {step.used_width_mm():g} mm exceeds the slitter's "
                    f"{self.web_width_m * 1000:g} mm",
                    "error",
                )
            ]
        return []
