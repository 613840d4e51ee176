"""Loading a scenario from text or a file: parse safely, then validate into a :class:`Scenario`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from twin.files import FileError, read_input
from twin.problems import Problem, ScenarioError
from twin.scenario.documents import MAX_DOCUMENT_BYTES, locate, parse_document
from twin.scenario.model import Scenario
from twin.scenario.paths import path_keys


def scenario_from_document(document: Any, source: str | None = None) -> Scenario:
    """Validate a parsed document (dicts and lists) into a :class:`Scenario`."""
    return Scenario.from_document(document, source)


def parse_scenario(
    text: str | bytes, fmt: Literal["yaml", "json"] = "yaml", source: str | None = None
) -> Scenario:
    """Parse and validate a scenario from YAML or JSON text."""
    try:
        document = parse_document(text, fmt)
    except ValueError as error:
        raise ScenarioError([Problem("", f"the document {error}")], source) from None
    try:
        return scenario_from_document(document, source)
    except ScenarioError as error:
        raise ScenarioError(located(error.problems, text), source) from None


def located(problems: list[Problem], text: str | bytes) -> list[Problem]:
    """``problems`` with the line and column where each one's value stands in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    keys = {problem.path: path_keys(problem.path) for problem in problems if problem.path}
    places = locate(text, set(keys.values()))
    return [
        replace(p, line=places[keys[p.path]][0], column=places[keys[p.path]][1])
        if p.path in keys and keys[p.path] in places
        else p
        for p in problems
    ]


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (``.yaml``, ``.yml`` or ``.json``).

    The file goes through :func:`twin.files.read_input`: a regular file of at most
    :data:`MAX_DOCUMENT_BYTES`.
    """
    try:
        data = read_input(path, limit=MAX_DOCUMENT_BYTES, what="scenario")
    except FileError as error:  # to a caller, a scenario it cannot read is one it cannot use
        raise ScenarioError(error.problems, error.source) from None
    fmt: Literal["yaml", "json"] = "json" if Path(path).suffix.lower() == ".json" else "yaml"
    return parse_scenario(data, fmt, str(path))
