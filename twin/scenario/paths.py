"""Dotted paths into a document, such as ``lines[0].buffers[1].capacity_m``."""

from __future__ import annotations

from typing import Any


def _path_keys(path: str) -> list[str | int]:
    keys: list[str | int] = []
    for part in path.replace("]", "").split("."):
        name, *indices = part.split("[")
        if name:
            keys.append(name)
        keys += [int(i) for i in indices]
    return keys


def set_path(document: Any, path: str, value: Any) -> None:
    """Set the value at a dotted path in a document (the path must exist up to its last key)."""
    keys = _path_keys(path)
    target = document
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


def value_at(document: Any, path: str) -> Any:
    """The value at a dotted path such as ``lines[0].buffers[1].capacity_m`` in a document.

    Raises KeyError, IndexError, TypeError or ValueError when the path is not in the document.
    """
    node = document
    for key in _path_keys(path):
        node = node[key]
    return node
