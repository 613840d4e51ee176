"""Scenario variants: a parent with a few values changed, kept in the store's tree.

A variant is derived from its parent by values changed at their paths, kept in the store with
its parent, and told apart from it by the paths that differ.

Paths are the ones :meth:`twin.Scenario.with_changes` and study factors take, with ids where a
list's items have them (``lines[INL1].buffers[ACC2].capacity_m``). A value is written as YAML
(``400``, ``8h``, ``true``, ``[mon, tue]``) and read with the twin's safe loader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import yaml

from twin import (
    Problem,
    Scenario,
    ScenarioError,
    Store,
    VariantInfo,
    changed_paths,
    parse_document,
    scenario_from_document,
)

COMPARE_PREFIX = "variant "
"""How the Compare page names a stored variant: ``variant v-0002 · name``."""


def choice_label(variant_id: str, name: str) -> str:
    """A stored variant as the Compare page lists it."""
    return f"{COMPARE_PREFIX}{variant_id} · {name}"


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """A scenario as plain data, as the store keeps it."""
    document: dict[str, Any] = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    return document


def values_by_path(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every plain value of a document with its path (ids for list items that have them)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from values_by_path(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        ids = [v.get("id") for v in node]
        by_id = all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)
        for index, value in enumerate(node):
            yield from values_by_path(value, f"{prefix}[{ids[index] if by_id else index}]")
    else:
        yield prefix, node


def read_changes(rows: pd.DataFrame) -> dict[str, Any]:
    """The changes a table of ``path`` and ``value`` (YAML text) asks for; problems by path.

    Empty rows are skipped; a value that is no YAML, or a path given twice, is a problem.
    """
    changes: dict[str, Any] = {}
    problems = []
    for number, (_, row) in enumerate(rows.iterrows(), start=1):
        path = str(row.get("path") or "").strip()
        text = row.get("value")
        text = "" if text is None or (isinstance(text, float) and text != text) else str(text)
        if not path and not text.strip():
            continue
        if not path:
            problems.append(Problem(f"row {number}", "give the path of the value to change"))
            continue
        if path in changes:
            problems.append(Problem(path, f"is changed twice (row {number})"))
            continue
        try:
            changes[path] = parse_document(text, "yaml") if text.strip() else None
        except ValueError as error:
            problems.append(Problem(path, f"the value {error}"))
    if problems:
        raise ScenarioError(problems, "the changes")
    if not changes:
        raise ScenarioError(
            [Problem("", "give at least one path and its new value")], "the changes"
        )
    return changes


def derive(parent: Scenario, changes: dict[str, Any], name: str) -> Scenario:
    """The parent with ``changes`` (checked as a whole scenario), named ``name``."""
    variant = parent.with_changes(changes)
    if name and name != variant.name:
        document = scenario_document(variant)
        document["name"] = name
        variant = scenario_from_document(document, name)
    return variant


def keep(
    store: Store,
    parent: Scenario,
    parent_id: str | None,
    variant: Scenario,
    changes: dict[str, Any],
) -> tuple[str, str]:
    """Keep ``variant`` in the tree under its parent; the ids of the parent and the variant.

    A parent not yet in the store is kept first, as a root (or found, if the tree holds it).
    """
    if parent_id is None:
        parent_id = store.find_variant(parent) or store.save_variant(parent)
    return parent_id, store.save_variant(variant, parent=parent_id, changes=changes)


@dataclass(frozen=True)
class Node:
    """A variant in the tree, with its depth (0 for a root)."""

    info: VariantInfo
    depth: int


def tree(variants: list[VariantInfo]) -> list[Node]:
    """The variants in tree order: each root, then its descendants, children oldest first."""
    children: dict[str | None, list[VariantInfo]] = {}
    known = {v.id for v in variants}
    for variant in variants:
        parent = variant.parent if variant.parent in known else None
        children.setdefault(parent, []).append(variant)
    ordered: list[Node] = []

    def visit(parent: str | None, depth: int) -> None:
        for child in children.get(parent, []):
            ordered.append(Node(child, depth))
            visit(child.id, depth + 1)

    visit(None, 0)
    return ordered


def differences_frame(parent: dict[str, Any], variant: dict[str, Any]) -> pd.DataFrame:
    """A variant's differences from its parent: one row per changed path."""
    return pd.DataFrame(
        [
            {"path": c.path, "change": c.kind, "parent": _text(c.before), "variant": _text(c.after)}
            for c in changed_paths(parent, variant)
        ],
        columns=["path", "change", "parent", "variant"],
    )


def value_text(value: Any) -> str:
    """A document's value as YAML text to read or edit: ``50`` for 50.0, ``[mon, tue]``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
        return text if len(text) <= 80 else text[:77] + "…"
    return str(value)


def _text(value: Any) -> str:
    return value_text(value) or "–"
