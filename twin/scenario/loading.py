"""Loading a scenario from text or a file: parse safely, then validate into a :class:`Scenario`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from twin.files import FileError, read_input
from twin.problems import Problem, ScenarioError
from twin.scenario.documents import MAX_DOCUMENT_BYTES, locate, parse_document
from twin.scenario.messages import validation_problems
from twin.scenario.model import Scenario
from twin.scenario.order_files import OrderFile, read_order_file, row_problems
from twin.scenario.paths import path_keys


def scenario_from_document(
    document: Any, source: str | None = None, folder: str | Path | None = None
) -> Scenario:
    """Validate a parsed document (dicts and lists) into a :class:`Scenario`.

    An order book given as a file (``orders: {file: orders.csv}``) is read from ``folder`` (by
    default the folder of ``source``, or the working directory); its problems are said by row
    and column of the file.
    """
    orders = document.get("orders") if isinstance(document, dict) else None
    if not isinstance(orders, dict):
        return Scenario.from_document(document, source)
    try:
        spec = OrderFile.model_validate(orders)
    except ValidationError as error:
        problems = [
            replace(p, path=f"orders.{p.path}" if p.path else "orders")
            for p in validation_problems(error, orders, OrderFile)
        ]
        raise ScenarioError(problems, source) from None
    base = Path(folder) if folder is not None else Path(source).parent if source else Path.cwd()
    try:
        rows = read_order_file(spec, base)
    except ScenarioError as error:
        raise ScenarioError(error.problems, source) from None
    inline = {**document, "orders": [{k: v for k, v in r.items() if k != "__row__"} for r in rows]}
    try:
        return Scenario.from_document(inline, source)
    except ScenarioError as error:
        raise ScenarioError(row_problems(error.problems, rows, spec), source) from None


def parse_scenario(
    text: str | bytes,
    fmt: Literal["yaml", "json"] = "yaml",
    source: str | None = None,
    folder: str | Path | None = None,
) -> Scenario:
    """Parse and validate a scenario from YAML or JSON text (an order file from ``folder``)."""
    try:
        document = parse_document(text, fmt)
    except ValueError as error:
        raise ScenarioError([Problem("", f"the document {error}")], source) from None
    try:
        return scenario_from_document(document, source, folder)
    except ScenarioError as error:
        raise ScenarioError(located(error.problems, text), source) from None


def located(problems: list[Problem], text: str | bytes) -> list[Problem]:
    """``problems`` with the line and column where each one's value stands in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    keys = {  # a row of an order file ("orders.csv row 4, column due") is not in this text
        problem.path: path_keys(problem.path)
        for problem in problems
        if problem.path and " " not in problem.path
    }
    places = locate(text, set(keys.values()))
    return [
        replace(p, line=places[keys[p.path]][0], column=places[keys[p.path]][1])
        if p.path in keys and keys[p.path] in places
        else p
        for p in problems
    ]


def load_scenario(path: str | Path, orders: str | Path | None = None) -> Scenario:
    """Load and validate a scenario file (``.yaml``, ``.yml`` or ``.json``).

    The file goes through :func:`twin.files.read_input`: a regular file of at most
    :data:`MAX_DOCUMENT_BYTES`. ``orders`` names an order file (CSV or Excel) to run instead of
    the scenario's order book, read with the scenario's column map when it gives one.
    """
    try:
        data = read_input(path, limit=MAX_DOCUMENT_BYTES, what="scenario")
    except FileError as error:  # to a caller, a scenario it cannot read is one it cannot use
        raise ScenarioError(error.problems, error.source) from None
    fmt: Literal["yaml", "json"] = "json" if Path(path).suffix.lower() == ".json" else "yaml"
    if orders is None:
        return parse_scenario(data, fmt, str(path), Path(path).parent)
    try:
        document = parse_document(data, fmt)
    except ValueError as error:
        raise ScenarioError([Problem("", f"the document {error}")], str(path)) from None
    if not isinstance(document, dict):
        return parse_scenario(data, fmt, str(path), Path(path).parent)  # says what is wrong
    given = document.get("orders")
    spec = dict(given) if isinstance(given, dict) else {}
    spec["file"] = str(Path(orders).resolve())
    return scenario_from_document({**document, "orders": spec}, str(path), Path(path).parent)
