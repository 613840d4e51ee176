"""The order book from the plant's systems: a CSV or Excel file of orders, read into a scenario.

A scenario names its order book by file instead of listing it::

    orders:
      file: orders.csv              # CSV or Excel (.xlsx), relative to the scenario
      columns:                      # the file's own headers, where they differ from ours
        id: SO number
        product: Material
        quantity: Qty               # with unit, or one of length_m, area_m2, rolls
        unit: UoM
        due: Delivery date
      units: {M: length_m, M2: area_m2, ROLL: rolls}
      date_format: "%d/%m/%Y"       # when dates are not ISO (2027-02-28)

The columns are ``id``, ``product``, the quantity (``length_m``, ``area_m2`` or ``rolls``, or a
``quantity`` with its ``unit``), ``release`` and ``due`` (dates or date-times; a release may be
left empty, for "now"), ``weight`` and ``line`` (both optional). Every problem is reported at
once by row and column as the planner sees them in the file (``orders.csv row 14, column due:
"31/02/2027" is not a date``): row 1 is the header. The same columns are what ``r2r export``
writes as a run's ``order_book`` table, so an exported book reads back as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from twin.files import FileError, read_input
from twin.problems import Problem, ScenarioError
from twin.scenario.fields import Model

MAX_ORDER_FILE_BYTES = 20_000_000
"""Largest order file read, bytes."""
FIELDS = ("id", "product", "length_m", "area_m2", "rolls", "release", "due", "weight", "line")
"""An order file's columns, as ``r2r export`` writes them."""
QUANTITIES = ("length_m", "area_m2", "rolls")


class OrderFile(Model):
    """Where a scenario's order book is, and how to read the plant system's export of it."""

    file: str = Field(min_length=1, max_length=1000, description="CSV or .xlsx, relative path.")
    sheet: str | None = Field(default=None, max_length=100, description="Excel sheet (first).")
    columns: dict[str, str] = Field(
        default={},
        description="The file's header for each of our columns: id, product, length_m, "
        "area_m2, rolls, quantity, unit, release, due, weight, line.",
    )
    units: dict[str, str] = Field(
        default={"m": "length_m", "m2": "area_m2", "m²": "area_m2", "rolls": "rolls"},
        description="The unit column's values, each meaning length_m, area_m2 or rolls.",
    )
    date_format: str | None = Field(
        default=None, max_length=40, description="strptime format of the dates (default ISO)."
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="CSV delimiter.")

    @field_validator("columns")
    @classmethod
    def _known(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - {*FIELDS, "quantity", "unit"})
        if unknown:
            raise ValueError(f"no column {', '.join(map(repr, unknown))} in an order book")
        return columns

    @field_validator("units")
    @classmethod
    def _quantities(cls, units: dict[str, str]) -> dict[str, str]:
        wrong = sorted(v for v in units.values() if v not in QUANTITIES)
        if wrong:
            raise ValueError(f"units must mean length_m, area_m2 or rolls (got {wrong[0]!r})")
        return units


def _rows(data: bytes, spec: OrderFile, name: str) -> Iterator[list[Any]]:
    """The file's rows, header first: CSV text or the first (or named) sheet of a workbook."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        from twin.extras import require

        require("openpyxl", "excel", "read an Excel order book")
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a file that is not a workbook
            raise ScenarioError([Problem("", "is not an Excel workbook")], name) from None
        if spec.sheet is not None and spec.sheet not in book.sheetnames:
            problem = Problem(
                "orders.sheet", f"no sheet {spec.sheet!r} (sheets: {book.sheetnames})"
            )
            raise ScenarioError([problem], name)
        sheet = book[spec.sheet] if spec.sheet else book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = Problem("", f"is not UTF-8 text ({error.reason} at byte {error.start})")
        raise ScenarioError([problem], name) from None
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)


def _when(value: Any, spec: OrderFile) -> Any:
    """A cell's date as the scenario takes it (a date, a date-time, or the text as it is)."""
    if isinstance(value, dt.datetime | dt.date) or value in (None, ""):
        return value
    text = str(value).strip()
    if spec.date_format is None:
        return text
    try:
        moment = dt.datetime.strptime(text, spec.date_format)
    except ValueError:
        raise ValueError(f"{text!r} is not a date in the form {spec.date_format}") from None
    has_time = any(code in spec.date_format for code in ("%H", "%I", "%M"))
    return moment if has_time else moment.date()


def read_order_file(spec: OrderFile, folder: Path) -> list[dict[str, Any]]:
    """The orders in ``spec``'s file as documents for the scenario, or every problem at once.

    Problems carry the file, row and column (``orders.csv row 14, column due``) as their path;
    the scenario then checks each order like an inline one.
    """
    path = Path(spec.file)
    path = path if path.is_absolute() else folder / path
    name = path.name
    try:
        data = read_input(path, limit=MAX_ORDER_FILE_BYTES, what="order book")
    except FileError as error:
        raise ScenarioError([Problem("orders.file", p.message) for p in error.problems]) from None
    rows = iter(_rows(data, spec, name))
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    headers = {field: spec.columns.get(field, field) for field in (*FIELDS, "quantity", "unit")}
    where = {field: header.index(h) for field, h in headers.items() if h in header}
    problems: list[Problem] = []
    if "id" not in where or "product" not in where or "due" not in where:
        missing = [headers[f] for f in ("id", "product", "due") if f not in where]
        problems.append(Problem(f"{name} row 1", f"has no column {', '.join(map(repr, missing))}"))
    quantity = [f for f in (*QUANTITIES, "quantity") if f in where]
    if not quantity:
        problems.append(
            Problem(
                f"{name} row 1", "has no quantity column (length_m, area_m2, rolls or quantity)"
            )
        )
    if problems:
        raise ScenarioError(problems, str(path))
    orders: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=2):
        if not any(cell not in (None, "") for cell in row):
            continue  # a blank line

        def cell(field: str, row: list[Any] = row) -> Any:
            index = where.get(field)
            value = row[index] if index is not None and index < len(row) else None
            return value.strip() if isinstance(value, str) else value

        order: dict[str, Any] = {}
        for field in ("id", "product", "line"):
            value = cell(field)
            if value not in (None, ""):
                order[field] = str(value)
        for field in QUANTITIES:
            value = cell(field)
            if value not in (None, ""):
                order[field] = value
        if "quantity" in where and cell("quantity") not in (None, ""):
            unit = str(cell("unit") or "m").strip()
            meaning = spec.units.get(unit) or spec.units.get(unit.lower())
            if meaning is None:
                known = ", ".join(sorted(spec.units))
                problems.append(
                    Problem(
                        f"{name} row {number}, column {headers['unit']}",
                        f"{unit!r} is not a unit of the book (known: {known})",
                    )
                )
            else:
                order[meaning] = cell("quantity")
        for field in ("release", "due"):
            try:
                value = _when(cell(field), spec)
            except ValueError as error:
                problems.append(
                    Problem(f"{name} row {number}, column {headers[field]}", str(error))
                )
                continue
            if value not in (None, ""):
                order[field] = value
        weight = cell("weight")
        if weight not in (None, ""):
            order["weight"] = weight
        order["__row__"] = number
        orders.append(order)
    if problems:
        raise ScenarioError(problems, str(path))
    return orders


def row_problems(
    problems: list[Problem], orders: list[dict[str, Any]], spec: OrderFile
) -> list[Problem]:
    """Problems at ``orders[k].<field>`` said by row and column of the order file instead."""
    name = Path(spec.file).name
    shown = []
    for problem in problems:
        head, _, rest = problem.path.partition("].")
        if not head.startswith("orders[") or not head[7:].isdigit():
            shown.append(problem)
            continue
        index = int(head[7:])
        if index >= len(orders):
            shown.append(problem)
            continue
        row = orders[index]["__row__"]
        field = rest.split(".", 1)[0] if rest else ""
        column = spec.columns.get(field, field)
        if field in QUANTITIES and "quantity" in spec.columns:
            column = spec.columns["quantity"]
        where = f"{name} row {row}" + (f", column {column}" if column else "")
        shown.append(Problem(where, problem.message, problem.severity))
    return shown


__all__ = ["FIELDS", "MAX_ORDER_FILE_BYTES", "OrderFile", "read_order_file", "row_problems"]
