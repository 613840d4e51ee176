"""Pydantic's validation errors as problems that read like the rest, each by its path."""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from twin.problems import Problem, did_you_mean


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
        parts.append(path_key(key, first=not parts))
    return "".join(parts)


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def path_key(key: Any, first: bool = False) -> str:
    """A mapping key as a step of a path: ``.name`` for a plain name, else ``["..."]`` quoted.

    An empty key, a key with spaces or dots, or a key that is no string at all must not make a
    path that reads like another (or like none); a long key is cut short.
    """
    if isinstance(key, str) and _NAME.match(key):
        return key if first else f".{key}"
    shown = json.dumps(key if isinstance(key, str) else str(key), ensure_ascii=False)
    if len(shown) > 42:
        shown = shown[:40] + '…"'
    return f"[{shown}]"


_MESSAGES: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_too_short": "must have at least {min_length} character(s)",
    "string_too_long": "must have at most {max_length} characters",
    "string_type": "must be text",
    "string_pattern_mismatch": (
        "must be an identifier: a letter or digit, then letters, digits, '_' or '-' (no dots or "
        "spaces), at most 64 characters"
    ),
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "dict_type": "must be a mapping of fields",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "date_type": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "datetime_type": "must be a date-time (YYYY-MM-DD HH:MM)",
    "datetime_parsing": "must be a date-time (YYYY-MM-DD HH:MM)",
    "datetime_from_date_parsing": "must be a date-time (YYYY-MM-DD HH:MM)",
    "time_type": "must be a time of day (HH:MM)",
    "time_parsing": "must be a time of day (HH:MM)",
    "dict_keys": "must have text keys",
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
    if kind.endswith("_parsing") and ctx.get("error"):
        message += f": {ctx['error']}"
    value = error.get("input")
    if kind not in ("missing", "extra_forbidden") and isinstance(value, int | float | str):
        given = repr(value) if isinstance(value, str) else f"{value:g}"
        if len(given) <= 60 and not (isinstance(value, str) and given in message):
            message += f" (got {given})"
    return message


def _schema_at(schema: dict[str, Any], loc: Sequence[str | int]) -> dict[str, Any] | None:
    """The JSON-schema node of the mapping at ``loc`` (union tags in ``loc`` pick the variant)."""
    definitions = schema.get("$defs", {})

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[-1]]
        return node

    node = deref(schema)
    for key in loc:
        mapping = node.get("discriminator", {}).get("mapping", {})
        if isinstance(key, str) and key in mapping:
            node = deref({"$ref": mapping[key]})
            continue
        for option in node.get("anyOf", []):  # X | None: the part that is not None
            option = deref(option)
            if "properties" in option or "items" in option or "discriminator" in option:
                node = option
                break
        if isinstance(key, int) and "items" in node:
            node = deref(node["items"])
        elif isinstance(key, str) and key in node.get("properties", {}):
            node = deref(node["properties"][key])
        elif isinstance(key, str) and isinstance(node.get("additionalProperties"), dict):
            node = deref(node["additionalProperties"])
        else:
            return None
    return node


@functools.cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(by_alias=True)


def _unknown_field(loc: Sequence[str | int], model: type[BaseModel] | None) -> str:
    """``is not a known field``, with the closest known field of that part when one is close."""
    message = "is not a known field"
    node = _schema_at(_schema(model), loc[:-1]) if model is not None else None
    known = list((node or {}).get("properties", {}))
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    return f"{message} (did you mean {close[0]!r}?)" if close else message


def validation_problems(
    error: ValidationError, document: Any, model: type[BaseModel] | None = None
) -> list[Problem]:
    """Pydantic's errors for ``document`` as problems, each by its path in the document.

    With the ``model`` that was validated, an unknown field gets the closest known one.
    """
    problems = []
    for item in error.errors():
        path = _format_loc(item["loc"], document)
        if item["type"] == "extra_forbidden":
            message = _unknown_field(item["loc"], model)
        else:
            message = _message(item)
        problems.append(Problem(path, message))
    return list(dict.fromkeys(problems))
