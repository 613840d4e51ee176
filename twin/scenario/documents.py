"""Safe parsing of YAML and JSON documents, with limits on size, nesting and alias expansion."""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml

MAX_DOCUMENT_BYTES = 5_000_000
"""Largest scenario file accepted, bytes."""
MAX_DOCUMENT_NODES = 200_000
"""Most values a document may hold once YAML aliases are expanded."""
MAX_DOCUMENT_DEPTH = 40
"""Deepest nesting of mappings and lists accepted."""


def _yaml_guard(text: str) -> None:
    """Refuse YAML whose aliases expand too far or nest too deep, before building objects."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep") from None
    if root is None:
        return
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    active: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_DOCUMENT_NODES:
                raise ValueError(
                    f"expands to more than {MAX_DOCUMENT_NODES:,} values (YAML aliases?)"
                )
            continue
        if key in sizes:
            continue
        if key in active:
            raise ValueError("refers to itself (a recursive YAML alias)")
        if depth > MAX_DOCUMENT_DEPTH:
            raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep")
        active.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _depth(document: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DOCUMENT_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def parse_document(text: str | bytes, fmt: Literal["yaml", "json"] = "yaml") -> Any:
    """Parse YAML or JSON safely into dicts and lists; raise ValueError for a hostile document."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"is not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        if fmt == "json":
            document = json.loads(text)
        else:
            _yaml_guard(text)
            document = yaml.load(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"is not valid YAML{where}: {error.problem}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"is not valid YAML: {error}") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"is not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    if _depth(document) > MAX_DOCUMENT_DEPTH:
        raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep")
    return document
