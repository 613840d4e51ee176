"""Parts of a scenario document as editable tables, and edited tables back into the document.

Each row is one item of the document (a station, a buffer, an order...) at a ``path`` like
``lines[0].stations[2]``; its columns are the item's plain values, nested ones by dotted names
(``equipment.max_speed_m_min``), a list of plain values as comma-separated text. Edits go back
into the document as data, never as code: the scenario is then validated again as a whole.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

Items = Callable[[dict[str, Any]], Iterator[tuple[str, dict[str, Any]]]]


def _each(document: dict[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = document.get(key)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def stations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every station, at ``lines[i].stations[j]``."""
    for li, line in _each(document, "lines"):
        for si, station in _each(line, "stations"):
            yield f"lines[{li}].stations[{si}]", station


def buffers(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every roll store and accumulator, at ``lines[i].buffers[j]``."""
    for li, line in _each(document, "lines"):
        for bi, buffer in _each(line, "buffers"):
            yield f"lines[{li}].buffers[{bi}]", buffer


def failures(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every failure mode, at ``lines[i].stations[j].failures[k]``."""
    for path, station in stations(document):
        for fi, failure in _each(station, "failures"):
            yield f"{path}.failures[{fi}]", failure


def shifts(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every shift of every calendar, at ``calendars[i].shifts[j]``."""
    for ci, calendar in _each(document, "calendars"):
        for si, shift in _each(calendar, "shifts"):
            yield f"calendars[{ci}].shifts[{si}]", shift


def orders(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every order, at ``orders[i]``."""
    for oi, order in _each(document, "orders"):
        yield f"orders[{oi}]", order


TABLES: dict[str, tuple[Items, dict[str, Any]]] = {
    "Stations": (stations, {"id": None, "units": 1}),
    "Buffers": (buffers, {"kind": None, "id": None}),
    "Failures": (failures, {"name": "failure", "needs_crew": True}),
    "Shifts": (shifts, {"name": "shift"}),
    "Orders": (
        orders,
        {
            "id": None,
            "product": None,
            "length_m": None,
            "area_m2": None,
            "release": None,
            "due": None,
            "weight": 1.0,
            "line": None,
        },
    ),
}
"""The editable parts of a scenario, by the tab that shows them: how to find the items, and the
columns every row has (with the value the scenario assumes when an item leaves it out)."""


def _flat(node: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flat(value, f"{name}.")
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                yield name, ", ".join(str(v) for v in value)
        elif isinstance(value, dt.date | dt.time):
            yield name, value.isoformat()
        else:
            yield name, value


def frame_of(
    document: dict[str, Any], items: Items, columns: dict[str, Any] | None = None
) -> pd.DataFrame:
    """The items as a table: ``path``, the given ``columns``, then one column per plain value.

    A column that mixes numbers and text (``due: 7d`` beside ``due: 10080``) is shown as text.
    """
    rows = [
        {"path": path, **(columns or {}), **dict(_flat(item))} for path, item in items(document)
    ]
    if not rows:
        return pd.DataFrame(columns=["path", *(columns or {})])
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        kinds = {type(v) for v in frame[column] if v is not None and v == v}
        if str in kinds and len(kinds) > 1:
            frame[column] = [None if v is None or v != v else str(v) for v in frame[column]]
    return frame


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _plain(value: Any, before: Any) -> Any:
    """A cell's value as document data, shaped like the value it replaces."""
    if hasattr(value, "item"):  # numpy scalars from pandas
        value = value.item()
    if isinstance(before, list):
        return [part.strip() for part in str(value).split(",") if part.strip()]
    if isinstance(value, str) and isinstance(before, int | float) and not isinstance(before, bool):
        try:
            return float(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer() and isinstance(before, int):
        return int(value)
    return value


def _lookup(document: Any, path: str) -> Any:
    node = document
    for part in path.replace("]", "").split("."):
        name, *indices = part.split("[")
        if name:
            node = node[name]
        for index in indices:
            node = node[int(index)]
    return node


def _assign(item: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = item
    for key in parents:
        node = node.setdefault(key, {})
    before = node.get(last)
    if _empty(value):
        node.pop(last, None)
    else:
        node[last] = _plain(value, before)


def apply_edits(document: dict[str, Any], before: pd.DataFrame, after: pd.DataFrame) -> Any:
    """A copy of ``document`` with the cells that differ between the two tables written back.

    Rows are matched by ``path``; a cell emptied removes the value.
    """
    changed = copy.deepcopy(document)
    old = before.set_index("path")
    for _, row in after.iterrows():
        item = _lookup(changed, row["path"])
        for column in after.columns.drop("path"):
            was, now = old.at[row["path"], column], row[column]
            if not (_empty(was) and _empty(now)) and was != now:
                _assign(item, column, now)
    return changed


def replace_orders(document: dict[str, Any], after: pd.DataFrame) -> Any:
    """A copy of ``document`` whose order book is the table's rows (added, removed or edited)."""
    changed = copy.deepcopy(document)
    previous = dict(orders(document))
    book = []
    for _, row in after.iterrows():
        path = row.get("path")
        order = copy.deepcopy(previous.get(path, {})) if isinstance(path, str) else {}
        for column in after.columns.drop("path"):
            _assign(order, column, row[column])
        if order:
            book.append(order)
    changed["orders"] = book
    return changed
