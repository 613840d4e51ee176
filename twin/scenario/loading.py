"""Loading a scenario from text or a file: parse safely, then validate into a :class:`Scenario`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from twin.scenario.documents import MAX_DOCUMENT_BYTES, parse_document
from twin.scenario.model import Scenario
from twin.scenario.problems import Problem, ScenarioError


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
    """Load and validate a scenario file (``.yaml``, ``.yml`` or ``.json``)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ScenarioError(
                [Problem("", f"the file is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB")],
                str(path),
            )
        data = path.read_bytes()
    except OSError as error:
        problem = Problem("", f"cannot read the file: {error.strerror}")
        raise ScenarioError([problem], str(path)) from None
    fmt: Literal["yaml", "json"] = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_scenario(data, fmt, str(path))
