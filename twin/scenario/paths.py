"""Paths into a document: ``lines[0].buffers[1].capacity_m`` or ``lines[INL1].buffers[ACC2]``.

A path is names joined by dots, each name followed by any number of selectors in brackets: a
position in a list (``[0]``, counted from 0) or the id of one of its items (``[INL1]``: the item
whose ``id`` is ``INL1``). The same form is used by :meth:`Scenario.with_changes`, by study
factors and in error messages.
"""

from __future__ import annotations

import json
import re
from typing import Any

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\[\]]+\])*)")
_SELECTOR = re.compile(r"\[([^\[\]]+)\]")

Key = str | int
"""A step of a parsed path: a field name, or a list position."""


class PathError(ValueError):
    """A path that is malformed, or that does not lead to a value of the document."""


def parse_path(path: str) -> list[str | tuple[str]]:
    """The steps of ``path``: field names, positions (as ``str`` digits) and ids (as 1-tuples).

    Raises :class:`PathError` for a path that is not of the form above.
    """
    if not isinstance(path, str) or not path.strip():
        raise PathError("is empty; write a path such as lines[0].buffers[1].capacity_m")
    steps: list[str | tuple[str]] = []
    for part in path.split("."):
        match = _STEP.fullmatch(part)
        if match is None:
            raise PathError(
                f"{path!r} is not a path: each part is a field name with optional [position] "
                "or [id] selectors, joined by dots (lines[0].stations[PC1].units)"
            )
        name, selectors = match.groups()
        steps.append(name)
        for selector in _SELECTOR.findall(selectors):
            text = selector.strip()
            steps.append(text if text.isdigit() else (text,))
    return steps


def _step(node: Any, step: str | tuple[str], path: str) -> Key:
    """The key ``step`` selects in ``node``; PathError if there is none."""
    if isinstance(step, tuple):
        wanted = step[0]
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, dict) and item.get("id") == wanted:
                    return index
        raise PathError(f"{path!r}: there is no item with id {wanted!r} there")
    if step.isdigit():
        if isinstance(node, list) and int(step) < len(node):
            return int(step)
        count = len(node) if isinstance(node, list) else 0
        raise PathError(f"{path!r}: there is no position {step} there ({count} item(s))")
    if isinstance(node, dict):
        return step
    raise PathError(f"{path!r}: {step!r} is not a field there")


def resolve(document: Any, path: str, *, leaf_may_be_missing: bool = False) -> list[Key]:
    """The concrete keys (names and positions) that ``path`` leads to in ``document``.

    With ``leaf_may_be_missing`` the last field may be absent (a value to be set).
    """
    steps = parse_path(path)
    keys: list[Key] = []
    node = document
    for position, step in enumerate(steps):
        key = _step(node, step, path)
        last = position == len(steps) - 1
        if isinstance(key, str) and key not in node:
            if not (last and leaf_may_be_missing):
                raise PathError(f"{path!r}: there is no field {key!r} there")
            keys.append(key)
            return keys
        keys.append(key)
        node = node[key]
    return keys


def set_path(document: Any, path: str, value: Any) -> None:
    """Set the value at ``path`` in a document; every step but a last field must exist."""
    keys = resolve(document, path, leaf_may_be_missing=True)
    target = document
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


def value_at(document: Any, path: str) -> Any:
    """The value at ``path`` (``lines[0].buffers[1].capacity_m``) in a document.

    Raises :class:`PathError` (a ValueError) when the path is not in the document.
    """
    node = document
    for key in resolve(document, path):
        node = node[key]
    return node


_DISPLAY_STEP = re.compile(r"\[[^\[\]]*\]|[^.\[\]]+")


def named(document: Any, path: str) -> str:
    """``path`` with the id of each list item beside its position, as people name things.

    ``lines[0].stations[1].units`` becomes ``lines[0] (INL1).stations[1] (PC1).units``; a step
    the document does not have is kept as it is.
    """
    node = document
    text = ""
    changed = False
    for token in _DISPLAY_STEP.findall(path):
        if token.startswith("["):
            text += token
            inner = token[1:-1]
            if isinstance(node, list) and inner.isdigit() and int(inner) < len(node):
                node = node[int(inner)]
                item_id = node.get("id") if isinstance(node, dict) else None
                if isinstance(item_id, str) and item_id:
                    text += f" ({item_id})"
                    changed = True
            else:
                node = None
        else:
            text += f".{token}" if text else token
            node = node.get(token) if isinstance(node, dict) else None
    return text if changed else path


def path_keys(path: str) -> tuple[Key, ...]:
    """The keys of a positional path as a problem gives it (``[""]`` is the empty key)."""
    keys: list[Key] = []
    for token in _DISPLAY_STEP.findall(path):
        if token.startswith("["):
            inner = token[1:-1]
            if inner.isdigit():
                keys.append(int(inner))
            else:
                try:
                    keys.append(str(json.loads(inner)))
                except ValueError:
                    keys.append(inner)
        else:
            keys.append(token)
    return tuple(keys)


def positional(document: Any, path: str) -> str:
    """``path`` with every id selector replaced by its position: ``lines[0].buffers[1]``."""
    keys = resolve(document, path, leaf_may_be_missing=True)
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


__all__ = [
    "PathError",
    "named",
    "parse_path",
    "path_keys",
    "positional",
    "resolve",
    "set_path",
    "value_at",
]
