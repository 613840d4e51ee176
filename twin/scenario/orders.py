"""Products (foil width and recipe) and the orders for them."""

from __future__ import annotations

from pydantic import Field, model_validator

from stations import RecipeStepSpec, complete_recipe
from twin.scenario.fields import Identifier, Model, TimeRef


class Product(Model):
    """A product: its foil width and its recipe, the ordered steps it needs."""

    id: Identifier
    name: str | None = Field(default=None, max_length=120, description="Display name.")
    family: str = Field(default="", max_length=80, description="Product family.")
    web_width_m: float = Field(gt=0, le=5, description="Foil width, m.")
    rated_capacity_mah_g: float = Field(
        default=1300.0,
        gt=0,
        le=4200,
        description="Rated capacity of the silicon, mAh/g (000: about 1100–1600 in examples).",
    )
    max_defects_per_m2: float = Field(
        default=0.5,
        ge=0,
        le=1e6,
        description="Specification: a lane roll with more unmarked defects per m² is downgraded.",
    )
    recipe: list[RecipeStepSpec] = Field(
        min_length=1, max_length=30, description="Steps in order, each for one station type."
    )
    lines: list[Identifier] | None = Field(
        default=None, description="Lines that may run it; none means every line that can."
    )

    @model_validator(mode="after")
    def _complete(self) -> Product:
        completed = complete_recipe(self.recipe)
        if completed != list(self.recipe):
            object.__setattr__(self, "recipe", completed)
        return self

    def ah_per_m2(self) -> float:
        """Rated Ah per m² of good area: Si loading (mg/cm² × 10 = g/m²) × rated mAh/g / 1000."""
        loading = sum(step.silicon_loading_mg_cm2() for step in self.recipe)
        return loading * 10 * self.rated_capacity_mah_g / 1000


class Order(Model):
    """An order: a length (or area) of a product, released and due at given times."""

    id: Identifier
    product: Identifier
    length_m: float | None = Field(default=None, gt=0, le=1e7, description="Length ordered, m.")
    area_m2: float | None = Field(default=None, gt=0, le=1e7, description="Area ordered, m².")
    release: TimeRef = Field(default=0.0, description="When it may start.")
    due: TimeRef = Field(description="When it is due.")
    weight: float = Field(default=1.0, gt=0, le=1000, description="Weight for tardiness.")
    line: Identifier | None = Field(default=None, description="Line it must run on, if any.")

    @model_validator(mode="after")
    def _one_quantity(self) -> Order:
        if (self.length_m is None) == (self.area_m2 is None):
            raise ValueError("give exactly one of length_m and area_m2")
        return self
