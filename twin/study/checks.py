"""A study's problems against its base scenario: factor paths and values, KPIs, objective."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from twin.scenario import PathError, Problem, Scenario, ScenarioError, value_at
from twin.scenario.paths import resolve
from twin.study.kpis import available_kpis, default_kpis

if TYPE_CHECKING:
    from twin.study.spec import Design, Factor


def check_study(
    base: Scenario,
    factors: Sequence[tuple[int, Factor]],
    design: Design | None,
    kpis: Sequence[str] | None,
    objective: str | None,
) -> Iterator[Problem]:
    """Problems a study has against its base scenario: factor paths and values, KPIs, design."""
    document = base.model_dump(mode="json", by_alias=True, exclude_none=True)
    labels: set[str] = set()
    for index, factor in factors:
        where = f"factors[{index}]"
        if factor.label in labels:
            yield Problem(f"{where}.name", f"{factor.label!r} names another factor too")
        labels.add(factor.label)
        missing = list(_missing_paths(document, where, factor))
        if missing:
            yield from missing
            continue
        if design is not None and design.kind == "latin_hypercube":
            if factor.range is None:
                yield Problem(where, "a latin_hypercube design needs a range [low, high]")
                continue
            tried: list[tuple[str, Any]] = [
                (f"{where}.range[{i}]", factor.convert(b)) for i, b in enumerate(factor.range)
            ]
        elif factor.named_levels is not None:
            tried = [(f"{where}.levels[{i}]", lv.name) for i, lv in enumerate(factor.named_levels)]
        elif factor.range is not None and factor.levels is None:
            kind = design.kind if design else "grid"
            yield Problem(f"{where}.levels", f"is required for a range in a {kind} design")
            continue
        elif factor.values is not None:
            tried = [(f"{where}.values[{i}]", v) for i, v in enumerate(factor.values)]
        else:
            tried = [(f"{where}.range", v) for v in factor.grid()]
        for path, value in tried:
            try:
                base.with_changes(factor.changes(value))
            except ScenarioError as error:
                for problem in error.problems:
                    yield Problem(path, str(problem))
    known = available_kpis(base)
    for index, kpi in enumerate(kpis or []):
        if kpi not in known:
            yield Problem(f"kpis[{index}]", f"unknown KPI {kpi!r}; known: {', '.join(known)}")
    chosen = list(kpis) if kpis else default_kpis(base)
    if objective is not None and objective not in chosen:
        yield Problem("objective", f"must be one of the study's KPIs ({', '.join(chosen)})")


def _missing_paths(document: Any, where: str, factor: Factor) -> Iterator[Problem]:
    """A problem for each path of ``factor`` that is not in the base scenario."""
    if factor.named_levels is not None:
        for li, level in enumerate(factor.named_levels):
            for path in level.changes:
                try:
                    resolve(document, path, leaf_may_be_missing=True)
                except PathError as error:
                    yield Problem(
                        f"{where}.levels[{li}].changes", f"{error} (in the base scenario)"
                    )
        return
    places = [("path", factor.path)] if factor.path is not None else []
    places += [(f"paths[{i}]", p) for i, p in enumerate(factor.paths or [])]
    for field, path in places:
        try:
            value_at(document, path)
        except PathError as error:
            yield Problem(f"{where}.{field}", f"{error} (in the base scenario)")
