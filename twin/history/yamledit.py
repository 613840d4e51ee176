"""Changing values in a scenario file while keeping its comments and layout (ruamel.yaml).

The document is loaded with ruamel's round-trip loader, the changed values are set in place, and
each gets an end-of-line comment saying where it came from; the comment that was there (such as
``# assumed``) is kept after it. The file's own indentation is detected, so that an unchanged
document dumps back byte for byte.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from twin.scenario import InputError, Problem


@dataclass(frozen=True)
class Change:
    """A value to set at ``path`` (keys and indices from the document's root), with a comment."""

    path: tuple[str | int, ...]
    value: Any
    comment: str
    what: str = ""
    """What the value is, in the plant's terms: ``PC1 · arc-out · time to failure``."""


def _indentation(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation of a YAML text, as ruamel's ``indent`` takes."""
    lines = text.splitlines()
    mapping = 2
    for previous, line in itertools.pairwise(lines):
        key = re.match(r"^(\s*)[^\s#-][^:]*:\s*(#.*)?$", previous)
        dash = re.match(r"^(\s*)- ", line)
        if key and dash:
            offset = len(dash.group(1)) - len(key.group(1))
            return mapping, max(offset + 2, 2), max(offset, 0)
    return mapping, 2, 0


def _yaml(text: str) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = _indentation(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _flow(value: Any) -> Any:
    """A plain dict as a flow-style ruamel mapping (``{dist: weibull, shape: 2}``)."""
    if isinstance(value, dict):
        mapping = CommentedMap(value.items())
        mapping.fa.set_flow_style()
        return mapping
    return value


def _comment(container: Any, key: str | int, text: str) -> None:
    """Put ``text`` as the end-of-line comment of ``key``, keeping the comment that was there."""
    items = container.ca.items
    old = items.get(key)
    token = None
    if old:
        token = next((t for t in old if t is not None and hasattr(t, "value")), None)
    kept = ""
    column = None
    if token is not None:
        kept = token.value.strip().lstrip("#").strip()
        column = token.column
        del items[key]
    full = f"{text}; was: {kept}" if kept else text
    container.yaml_add_eol_comment(f"# {full}", key, column=column)


def apply_changes(text: str, changes: Sequence[Change], source: str = "scenario") -> str:
    """``text`` with every change applied and commented; everything else as it was."""
    yaml = _yaml(text)
    try:
        document = yaml.load(text)
    except YAMLError as error:
        raise InputError([Problem("", f"cannot be edited as YAML: {error}")], source) from None
    for change in changes:
        *parents, last = change.path
        node: Any = document
        trail: list[tuple[Any, str | int]] = []
        for key in parents:
            trail.append((node, key))
            node = node[key]
        old = node[last]
        new = (
            _flow(change.value)
            if isinstance(old, CommentedMap) or isinstance(change.value, dict)
            else change.value
        )
        node[last] = new
        flow_parent = isinstance(node, CommentedMap | CommentedSeq) and node.fa.flow_style()
        if flow_parent and trail:
            holder, key = trail[-1]
            _comment(holder, key, change.comment)
        else:
            _comment(node, last, change.comment)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()
