"""Reading a plant state: the one safe reader, YAML or JSON, every problem by its path at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from twin.files import FileError, read_input
from twin.problems import InputError, Problem
from twin.scenario import Scenario, parse_document, validation_problems
from twin.scenario.loading import located
from twin.scenario.paths import named
from twin.state.checks import state_problems
from twin.state.model import PlantState

MAX_STATE_BYTES = 20_000_000
"""Largest state file read, bytes."""


class StateError(InputError):
    """A plant state that cannot be used with its scenario; every problem by its path."""


def _named(problems: list[Problem], document: Any) -> list[Problem]:
    shown = []
    for problem in problems:
        label = named(document, problem.path)
        shown.append(
            Problem(problem.path, problem.message, problem.severity, label)
            if label != problem.path
            else problem
        )
    return shown


def parse_state(
    text: str | bytes,
    scenario: Scenario,
    fmt: Literal["yaml", "json"] = "yaml",
    source: str | None = None,
) -> PlantState:
    """Parse and check a state against ``scenario``; raise :class:`StateError` listing all."""
    try:
        document = parse_document(text, fmt)
    except ValueError as error:
        raise StateError([Problem("", f"the document {error}")], source) from None
    if not isinstance(document, dict):
        raise StateError([Problem("", "a plant state must be a mapping of fields")], source)
    try:
        state = PlantState.model_validate(document)
    except ValidationError as error:
        problems = validation_problems(error, document, PlantState)
        raise StateError(located(_named(problems, document), text), source) from None
    problems = state_problems(state, scenario)
    if problems:
        raise StateError(located(_named(problems, document), text), source)
    return state


def read_state(path: str | Path, scenario: Scenario) -> PlantState:
    """Read a state file (``.yaml``, ``.yml`` or ``.json``) and check it against ``scenario``."""
    try:
        data = read_input(path, limit=MAX_STATE_BYTES, what="plant state")
    except FileError as error:
        raise StateError(error.problems, error.source) from None
    fmt: Literal["yaml", "json"] = "json" if Path(path).suffix.lower() == ".json" else "yaml"
    return parse_state(data, scenario, fmt, str(path))


def state_document(state: PlantState) -> dict[str, Any]:
    """A state as plain data (what a state file holds)."""
    document: dict[str, Any] = state.model_dump(mode="json", exclude_defaults=True)
    document["at"] = state.at.isoformat()
    return document


def state_text(state: PlantState, path: str | Path) -> str:
    """A state file's text: JSON for a ``.json`` path, else YAML."""
    document = state_document(state)
    if Path(path).suffix.lower() == ".json":
        return json.dumps(document, indent=1) + "\n"
    header = f"# plant state of {state.scenario or 'a scenario'} at {state.at:%Y-%m-%d %H:%M}\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
