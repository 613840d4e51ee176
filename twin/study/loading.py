"""Reading a study file: parse safely, load its base scenario, check everything at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from twin.scenario import (
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_document,
    scenario_from_document,
    validation_problems,
)
from twin.study.checks import check_study
from twin.study.spec import Design, Factor, StudySpec


def parse_study(text: str | bytes, source: str = "<study>") -> StudySpec:
    """Parse and check a study from YAML or JSON text; raise ScenarioError listing every problem.

    A relative scenario path is taken from the study file's folder (``source``), or from the
    working directory when the text comes from elsewhere.
    """
    try:
        document = parse_document(text)
    except ValueError as error:
        raise ScenarioError([Problem("", f"the document {error}")], source) from None
    if not isinstance(document, dict):
        raise ScenarioError([Problem("", "a study must be a mapping of fields")], source)
    problems: list[Problem] = []
    base = _base_scenario(document.get("scenario"), Path(source).parent, problems)
    try:
        return StudySpec.model_validate({**document, "scenario": base})
    except ScenarioError as error:
        problems += error.problems
    except ValidationError as error:
        found = validation_problems(error, document)
        problems += [p for p in found if base is not None or not p.path.startswith("scenario")]
        if base is not None:
            problems += _partial_problems(document, base)
    raise ScenarioError(problems, source)


def _base_scenario(node: Any, folder: Path, problems: list[Problem]) -> Scenario | None:
    if node is None:
        problems.append(Problem("scenario", "is required (a scenario file, or one inline)"))
        return None
    try:
        if isinstance(node, str):
            path = Path(node)
            return load_scenario(path if path.is_absolute() else folder / path)
        return scenario_from_document(node)
    except ScenarioError as error:
        where = f"{error.source}: " if error.source else ""
        problems += [Problem("scenario", f"{where}{problem}") for problem in error.problems]
        return None


def _partial_problems(document: dict[str, Any], base: Scenario) -> list[Problem]:
    """Checks against the base scenario for the parts of a study that are well formed."""

    def valid(model: type[BaseModel], node: Any) -> Any:
        try:
            return model.model_validate(node)
        except (ValidationError, ScenarioError):
            return None

    raw = document.get("factors")
    factors = [(i, valid(Factor, f)) for i, f in enumerate(raw if isinstance(raw, list) else [])]
    design = document.get("design", "full_factorial")
    kpis = document.get("kpis")
    objective = document.get("objective")
    return list(
        check_study(
            base,
            [(i, f) for i, f in factors if f is not None],
            valid(Design, {"kind": design} if isinstance(design, str) else design),
            kpis if isinstance(kpis, list) and all(isinstance(k, str) for k in kpis) else None,
            objective if isinstance(objective, str) else None,
        )
    )


def load_study(path: str | Path) -> StudySpec:
    """Load and check a study file (YAML or JSON)."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as error:
        problem = Problem("", f"cannot read the file: {error.strerror}")
        raise ScenarioError([problem], str(path)) from None
    return parse_study(text, str(path))
