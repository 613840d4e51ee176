"""Reading a study file: parse safely, load its base scenario, check everything at once."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from twin.files import FileError, read_input
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

MAX_STUDY_BYTES = 5_000_000
"""Largest study file read, bytes."""

ScenarioSource = Callable[[str], Scenario]
"""Finds the scenario a study's ``scenario:`` names; raises ScenarioError when it may not."""


def scenario_files(folder: str | Path) -> ScenarioSource:
    """Any scenario file the user can read, a relative path taken from ``folder``.

    What the CLI and scripts use: the user names files on their own machine.
    """

    def find(name: str) -> Scenario:
        path = Path(name)
        return load_scenario(path if path.is_absolute() else Path(folder) / path)

    return find


def scenario_files_within(
    folders: Sequence[str | Path], uploads: Mapping[str, Scenario] | None = None
) -> ScenarioSource:
    """Only scenarios in ``folders`` (tried in order for a relative path), or one of ``uploads``.

    What a server uses: a study uploaded to the dashboard may name a bundled scenario or one
    uploaded in the same session, never another file on the server. Absolute paths and paths
    that leave the folders (``../../etc/passwd``, links out of them) are refused.
    """
    roots = [Path(os.path.realpath(folder)) for folder in folders]
    uploaded = dict(uploads or {})

    def find(name: str) -> Scenario:
        if name in uploaded:
            return uploaded[name]
        path = Path(name)
        if path.is_absolute():
            raise ScenarioError(
                [Problem("", "must name a bundled or uploaded scenario, not an absolute path")]
            )
        for root in roots:
            candidate = Path(os.path.realpath(root / path))
            if not any(candidate.is_relative_to(r) for r in roots):
                continue
            if candidate.is_file():
                return load_scenario(candidate)
        known = ", ".join(sorted(uploaded)) or "none"
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"is neither a bundled scenario nor one uploaded in this session "
                    f"(uploaded: {known})",
                )
            ]
        )

    return find


def parse_study(
    text: str | bytes, source: str = "<study>", scenarios: ScenarioSource | None = None
) -> StudySpec:
    """Parse and check a study from YAML or JSON text; raise ScenarioError listing every problem.

    ``scenarios`` finds the scenario a study names by path; by default
    :func:`scenario_files` of the study file's folder (``source``), or of the working directory
    when the text comes from elsewhere.
    """
    try:
        document = parse_document(text)
    except ValueError as error:
        raise ScenarioError([Problem("", f"the document {error}")], source) from None
    if not isinstance(document, dict):
        raise ScenarioError([Problem("", "a study must be a mapping of fields")], source)
    problems: list[Problem] = []
    find = scenarios if scenarios is not None else scenario_files(Path(source).parent)
    base = _base_scenario(document.get("scenario"), find, problems)
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


def _base_scenario(node: Any, find: ScenarioSource, problems: list[Problem]) -> Scenario | None:
    if node is None:
        problems.append(Problem("scenario", "is required (a scenario file, or one inline)"))
        return None
    try:
        if isinstance(node, str):
            return find(node)
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


def load_study(path: str | Path, scenarios: ScenarioSource | None = None) -> StudySpec:
    """Load and check a study file (YAML or JSON); ``scenarios`` as for :func:`parse_study`."""
    try:
        text = read_input(path, limit=MAX_STUDY_BYTES, what="study")
    except FileError as error:
        raise ScenarioError(error.problems, error.source) from None
    return parse_study(text, str(path), scenarios)
