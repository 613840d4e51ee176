"""Checks and completions that concern a whole recipe rather than one step.

The seed examples found some layer sequences bad (000): Al2O3 over SiNx failed formation (anode 5);
Al2O3 as the first of two metal-oxide layers performed poorly (anode 7); prelithiated silicon wound
without a supplemental layer sticks to rollers or to itself. Heat treatment comes after the silicon
(000, claim 1).
"""

from __future__ import annotations

from collections.abc import Sequence

from stations.ald import METAL_OXIDES, AldStep
from stations.anneal import AnnealStep
from stations.base import Problem, RecipeStep
from stations.li_evaporation import LithiumStep
from stations.pecvd import PecvdStep


def _silicon_loading(steps: Sequence[RecipeStep], index: int, after: bool) -> float | None:
    """Si loading of the nearest PECVD step before (or after) ``index``."""
    others = steps[index + 1 :] if after else list(reversed(steps[:index]))
    return next((s.si_loading_mg_cm2 for s in others if isinstance(s, PecvdStep)), None)


def complete_recipe(steps: Sequence[RecipeStep]) -> list[RecipeStep]:
    """Fill what a step may take from others: a lithium step's Si loading from its silicon.

    Prelithiation refers to the silicon deposited before it; lithium laid before the silicon
    (``pre_silicon``) to the storage layer deposited after it (000).
    """
    completed: list[RecipeStep] = []
    for index, step in enumerate(steps):
        if (
            isinstance(step, LithiumStep)
            and step.prelithiation_fraction is not None
            and step.si_loading_mg_cm2 is None
        ):
            loading = _silicon_loading(steps, index, after=step.role == "pre_silicon")
            if loading is not None:
                step = step.model_copy(update={"si_loading_mg_cm2": loading})
        completed.append(step)
    return completed


def _adds_layer(step: RecipeStep) -> bool:
    """True for steps that put a layer on the web (not heat treatment or slitting)."""
    return step.station_type not in ("anneal", "slitting", "generic")


def check_recipe(steps: Sequence[RecipeStep]) -> list[tuple[int, Problem]]:
    """Warnings for layer sequences the seed examples found bad, by step index."""
    findings: list[tuple[int, Problem]] = []
    silicon_seen = False
    for index, step in enumerate(steps):
        previous = next((s for s in reversed(steps[:index]) if _adds_layer(s)), None)
        if isinstance(step, PecvdStep):
            silicon_seen = True
        if isinstance(step, AldStep) and step.material == "Al2O3":
            if (
                isinstance(previous, PecvdStep)
                and previous.cap is not None
                and previous.cap.material == "SiNx"
            ):
                findings.append(
                    (
                        index,
                        Problem(
                            "material",
                            "Al2O3 over SiNx failed formation in the seed examples (000, anode 5)",
                            "warning",
                        ),
                    )
                )
            # anode 7: two metal-oxide supplemental layers over the silicon, Al2O3 first
            later_oxides = [
                s
                for s in steps[index + 1 :]
                if isinstance(s, AldStep)
                and s.material in METAL_OXIDES
                and s.role == "supplemental"
            ]
            if step.role == "supplemental" and later_oxides:
                findings.append(
                    (
                        index,
                        Problem(
                            "material",
                            "Al2O3 as the first of two metal-oxide layers performed poorly "
                            "(000, anode 7); TiO2 works in both places",
                            "warning",
                        ),
                    )
                )
        if isinstance(step, LithiumStep) and step.role == "prelithiation":
            protected = any(s.lays_supplemental() for s in steps[:index]) or (
                index + 1 < len(steps) and steps[index + 1].lays_supplemental()
            )
            if not protected:
                findings.append(
                    (
                        index,
                        Problem(
                            "role",
                            "prelithiated silicon wound without a supplemental layer sticks to "
                            "rollers or to itself (000)",
                            "warning",
                        ),
                    )
                )
        if isinstance(step, AnnealStep) and not silicon_seen:
            findings.append(
                (
                    index,
                    Problem(
                        "station_type",
                        "the heat treatment comes after the silicon is deposited (000, claim 1)",
                        "warning",
                    ),
                )
            )
    return findings
