"""Loading a scenario from text or a file: parse safely, then validate into a :class:`Scenario`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from twin.files import FileError, read_input
from twin.problems import Problem, ScenarioError
from twin.scenario.documents import MAX_DOCUMENT_BYTES, parse_document
from twin.scenario.model import Scenario


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
    return scenario_from_document(document, source)


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
