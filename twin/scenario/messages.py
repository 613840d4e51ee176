"""Pydantic's validation errors as problems that read like the rest, each by its path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from twin.scenario.fields import IDENTIFIER_RULE
from twin.scenario.problems import Problem, did_you_mean


def _format_loc(loc: Sequence[str | int], document: Any) -> str:
    """A path like ``lines[0].stations[2].speed`` from a pydantic location.

    Tagged unions add their tag to the location; walking the document drops what it lacks.
    """
    parts: list[str] = []
    node = document
    for position, key in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(key, int):
            parts.append(f"[{key}]")
            node = node[key] if isinstance(node, list) and -len(node) <= key < len(node) else None
            continue
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif not last or key.startswith(("function-", "tagged-union")):
            continue
        parts.append(f".{key}" if parts else key)
    return "".join(parts)


_MESSAGES: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_pattern_mismatch": f"must be an identifier ({IDENTIFIER_RULE} characters)",
}


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        shown = {k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}
        message = _MESSAGES[kind].format(**shown)
    elif kind == "union_tag_invalid":
        expected = [tag.strip("' ") for tag in str(ctx["expected_tags"]).split(",")]
        message = did_you_mean(str(ctx["discriminator"]).strip("'"), str(ctx["tag"]), expected)
        message += f"; expected one of {', '.join(expected)}"
    elif kind == "union_tag_not_found":
        message = f"needs its {ctx['discriminator'].strip(chr(39))} field"
    else:
        message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    value = error.get("input")
    if kind not in ("missing", "extra_forbidden") and isinstance(value, int | float | str):
        given = repr(value) if isinstance(value, str) else f"{value:g}"
        if len(given) <= 60:
            message += f" (got {given})"
    return message


def validation_problems(error: ValidationError, document: Any) -> list[Problem]:
    """Pydantic's errors for ``document`` as problems, each by its path in the document."""
    problems = []
    for item in error.errors():
        path = _format_loc(item["loc"], document)
        problems.append(Problem(path, _message(item)))
    return list(dict.fromkeys(problems))
