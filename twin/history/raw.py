"""An event log file's raw columns, and the bad rows found while reading it.

The header is checked for the format's required columns (through the column map); each column
of the format is read as strings, CSV by pyarrow when the file is clean and else row by row with
every row numbered, Parquet by pyarrow. Bad rows are collected by kind and subject
(:class:`RowProblems`) and reported grouped, with row numbers as a spreadsheet numbers them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.history.columns import ColumnMap
from twin.history.files import LogFileError
from twin.history.format import COLUMNS, REQUIRED
from twin.scenario import Problem

SHOWN_ROWS = 5
"""Row numbers listed for each kind of problem (the count says how many there are)."""


@dataclass(frozen=True)
class BadRows:
    """Bad rows of one kind and subject."""

    message: str
    rows: list[int]


class RowProblems:
    """Collects bad rows by (kind, subject) and turns them into grouped problems."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], BadRows] = {}
        self.bad = np.zeros(0, dtype=bool)

    def add(self, kind: str, subject: str, message: str, rows: Sequence[int] | np.ndarray) -> None:
        """Bad ``rows`` of one kind and subject, all with ``message``."""
        if len(rows) == 0:
            return
        group = self.groups.setdefault((kind, subject), BadRows(message, []))
        group.rows.extend(int(r) for r in rows)

    def problems(self) -> list[Problem]:
        """One problem per kind and subject, first rows first, with its rows and count."""
        listed = []
        for group in sorted(self.groups.values(), key=lambda g: min(g.rows)):
            rows = sorted(group.rows)
            shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS])
            more = ", …" if len(rows) > SHOWN_ROWS else ""
            path = f"row {shown}" if len(rows) == 1 else f"rows {shown}{more}"
            count = f" ({len(rows):,} rows)" if len(rows) > 1 else ""
            listed.append(Problem(path, f"{group.message}{count}"))
        return listed


def _header(reader: Iterator[list[str]], where: str) -> list[str]:
    """The names in the header row ``reader`` reads first (spaces and a byte-order mark off)."""
    try:
        header = next(reader)
    except StopIteration:
        raise LogFileError([Problem("", "is empty")], where) from None
    except csv.Error:
        raise LogFileError([Problem("", "is not a CSV file with a header row")], where) from None
    return [h.strip().lstrip("\ufeff") for h in header]


def header_names(text: str, columns: ColumnMap, where: str) -> list[str]:
    """The header row's names (the required ones must be there)."""
    reader = csv.reader(io.StringIO(text[:1_000_000], newline=""), delimiter=columns.delimiter)
    names = _header(reader, where)
    _positions(names, columns, where)
    return names


def csv_columns(
    text: str, columns: ColumnMap, problems: RowProblems, where: str
) -> tuple[dict[str, list[str]], np.ndarray, int]:
    """The format's columns as lists of strings, the rows' numbers and the count of data rows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=columns.delimiter)
    header = _header(reader, where)
    positions = _positions(header, columns, where)
    width = len(header)
    values: dict[str, list[str]] = {name: [] for name in positions}
    rows: list[int] = []
    short: list[int] = []
    wrong: list[int] = []
    number = 1
    try:
        for record in reader:
            number += 1
            if not record:
                continue  # a blank line
            if len(record) != width:
                (short if len(record) < width else wrong).append(number)
                continue
            rows.append(number)
            for name, index in positions.items():
                values[name].append(record[index])
    except csv.Error:
        problems.add("parse", "csv", "cannot be parsed as CSV (a quote left open?)", [number + 1])
    problems.add("parse", "short", f"has fewer fields than the header's {width}", short)
    problems.add("parse", "long", f"has more fields than the header's {width}", wrong)
    return values, np.asarray(rows, dtype=np.int64), number - 1


def arrow_csv_columns(
    data: bytes, header: list[str], columns: ColumnMap, where: str
) -> tuple[dict[str, pd.Series], np.ndarray, int] | None:
    """The fast path for a clean CSV (pyarrow); None when a row is bad or lines do not map.

    pyarrow does not say which line a bad row was on, so a file with bad rows, blank lines or
    values spanning lines is read again by :func:`csv_columns`, which numbers every row.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    positions = _positions(header, columns, where)
    if len(set(header)) != len(header):
        return None
    invalid: list[int] = []

    def bad(_row: object) -> str:
        invalid.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            parse_options=pacsv.ParseOptions(delimiter=columns.delimiter, invalid_row_handler=bad),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                include_columns=[header[i] for i in positions.values()],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if invalid or table.num_rows != lines - 1:
        return None
    values = {name: table.column(header[index]).to_pandas() for name, index in positions.items()}
    count = table.num_rows
    return values, np.arange(2, count + 2, dtype=np.int64), count


def _positions(header: list[str], columns: ColumnMap, where: str) -> dict[str, int]:
    """Where each column of the format is in the header; the required ones must be there."""
    found = {
        name: header.index(columns.header(name))
        for name in COLUMNS
        if columns.header(name) in header
    }
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        wanted = ", ".join(repr(columns.header(m)) for m in missing)
        raise LogFileError(
            [
                Problem(
                    "",
                    f"has no column {wanted}: not an event log, or its headers need a column "
                    "map (--columns)",
                )
            ],
            where,
        )
    return found


def parquet_columns(
    data: bytes, columns: ColumnMap, where: str
) -> tuple[dict[str, pd.Series], np.ndarray, int]:
    """The format's columns of a Parquet file, the rows' numbers and the count of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError):
        raise LogFileError([Problem("", "is not a Parquet file that can be read")], where) from None
    positions = _positions(list(table.column_names), columns, where)
    values = {name: table.column(index).to_pandas() for name, index in positions.items()}
    count = table.num_rows
    return values, np.arange(2, count + 2, dtype=np.int64), count
