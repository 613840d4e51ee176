"""What changed between two scenario documents, value by value, each by its path.

Paths name list items by their ids where the items have them (``lines[INL1].buffers[ACC2]
.capacity_m``), by position otherwise, so that a difference reads as a planner names the thing
and the same path works in :meth:`Scenario.with_changes`. An item added or removed is one
difference (its whole value); a list whose items were put in another order (stations in web
order) is one difference of the list, given as the ids before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ChangeKind = Literal["changed", "added", "removed", "reordered"]


@dataclass(frozen=True)
class Change:
    """One difference: the value at ``path`` before and after (None where there was none)."""

    path: str
    kind: ChangeKind
    before: Any = None
    after: Any = None


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _ids(items: list[Any]) -> list[str] | None:
    """The items' ids, if every item is a mapping with an id of its own (and they differ)."""
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    if all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids):
        return ids  # type: ignore[return-value]
    return None


def changed_paths(before: Any, after: Any, prefix: str = "") -> list[Change]:
    """Every difference from ``before`` to ``after`` (plain documents: dicts, lists, values)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[Change] = []
        for key in [*before, *(k for k in after if k not in before)]:
            path = _join(prefix, str(key))
            if key not in after:
                found.append(Change(path, "removed", before[key], None))
            elif key not in before:
                found.append(Change(path, "added", None, after[key]))
            else:
                found += changed_paths(before[key], after[key], path)
        return found
    if isinstance(before, list) and isinstance(after, list):
        return _list_changes(before, after, prefix)
    if before == after and (type(before) is type(after) or _same_number(before, after)):
        return []
    return [Change(prefix, "changed", before, after)]


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def _list_changes(before: list[Any], after: list[Any], prefix: str) -> list[Change]:
    old_ids, new_ids = _ids(before), _ids(after)
    if old_ids is not None and new_ids is not None:
        found: list[Change] = []
        old, new = dict(zip(old_ids, before, strict=True)), dict(zip(new_ids, after, strict=True))
        common_old = [i for i in old_ids if i in new]
        common_new = [i for i in new_ids if i in old]
        if common_old != common_new:
            found.append(Change(prefix, "reordered", common_old, common_new))
        for item_id in old_ids:
            path = f"{prefix}[{item_id}]"
            if item_id not in new:
                found.append(Change(path, "removed", old[item_id], None))
            else:
                found += changed_paths(old[item_id], new[item_id], path)
        found += [Change(f"{prefix}[{i}]", "added", None, new[i]) for i in new_ids if i not in old]
        return found
    if all(not isinstance(v, dict | list) for v in (*before, *after)):
        return [] if before == after else [Change(prefix, "changed", before, after)]
    found = []
    for index in range(max(len(before), len(after))):
        path = f"{prefix}[{index}]"
        if index >= len(after):
            found.append(Change(path, "removed", before[index], None))
        elif index >= len(before):
            found.append(Change(path, "added", None, after[index]))
        else:
            found += changed_paths(before[index], after[index], path)
    return found


__all__ = ["Change", "ChangeKind", "changed_paths"]
