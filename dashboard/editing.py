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
from collections.abc import Iterator
from typing import Any

import pandas as pd

from twin import value_at

Where = tuple[str, ...]
"""Where a table's items are: the list keys from the document down, e.g. ``("lines", "stations")``
for ``lines[i].stations[j]``."""


def items_at(document: Any, where: Where, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every item at ``where`` with its path, e.g. ``("lines[0].stations[2]", {...})``."""
    key, *rest = where
    items = document.get(key) if isinstance(document, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        path = f"{prefix}{key}[{index}]"
        if not isinstance(item, dict):
            continue
        if rest:
            yield from items_at(item, tuple(rest), f"{path}.")
        else:
            yield path, item


ORDERS: Where = ("orders",)

TABLES: dict[str, tuple[Where, dict[str, Any]]] = {
    "Stations": (("lines", "stations"), {"id": None, "units": 1}),
    "Buffers": (("lines", "buffers"), {"kind": None, "id": None}),
    "Failures": (("lines", "stations", "failures"), {"name": "failure", "needs_crew": True}),
    "Shifts": (("calendars", "shifts"), {"name": "shift"}),
    "Orders": (
        ORDERS,
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
"""The editable parts of a scenario, by the tab that shows them: where the items are, and the
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
    document: dict[str, Any], where: Where, columns: dict[str, Any] | None = None
) -> pd.DataFrame:
    """The items as a table: ``path``, the given ``columns``, then one column per plain value.

    A column that mixes numbers and text (``due: 7d`` beside ``due: 10080``) is shown as text.
    """
    found = items_at(document, where)
    rows = [{"path": path, **(columns or {}), **dict(_flat(item))} for path, item in found]
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
        item = value_at(changed, row["path"])
        for column in after.columns.drop("path"):
            was, now = old.at[row["path"], column], row[column]
            if not (_empty(was) and _empty(now)) and was != now:
                _assign(item, column, now)
    return changed


def replace_orders(document: dict[str, Any], after: pd.DataFrame) -> Any:
    """A copy of ``document`` whose order book is the table's rows (added, removed or edited)."""
    changed = copy.deepcopy(document)
    previous = dict(items_at(document, ORDERS))
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
