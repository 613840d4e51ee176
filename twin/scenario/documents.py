"""Safe parsing of YAML and JSON documents, with limits on size, nesting and alias expansion."""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml

MAX_DOCUMENT_BYTES = 5_000_000
"""Largest scenario file accepted, bytes."""
MAX_DOCUMENT_NODES = 300_000
"""Most values a document may hold once YAML aliases are expanded."""
MAX_DOCUMENT_DEPTH = 40
"""Deepest nesting of mappings and lists accepted."""


_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML was built with it (about 30x faster), else the pure-Python one."""
_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_TAG + name for name in ("null", "bool", "int", "float", "timestamp", "binary")}


class _Open:
    """A mapping or list being built, with what its limits need to know."""

    __slots__ = ("anchor", "height", "key", "mark", "merges", "size", "value")

    def __init__(self, value: dict[Any, Any] | list[Any], anchor: str | None, mark: Any) -> None:
        self.value = value
        self.anchor = anchor
        self.mark = mark
        self.key: Any = _NO_KEY
        self.size = 1
        self.height = 1
        self.merges: list[Any] = []


_NO_KEY = object()


class _Builder:
    """Python values straight from the parser's events, with the limits checked as it reads.

    PyYAML's composer and constructor recurse once per level (libyaml's composer in C, where no
    recursion limit guards the stack) and build a node for every value before building the value.
    This keeps its own stack and builds each value as its event comes, once. It counts values as
    they are made, so a document with more than the limit stops being read there, and measures
    each mapping's and list's size with its aliases expanded and its height when it closes: a
    document that nests too deep, refers to itself or expands too far is refused. Scalars are
    read by PyYAML's own safe constructors (YAML 1.1: ``yes`` is true, ``0x1F`` an int, dates
    are dates), and merge keys (``<<: *defaults``) work as in PyYAML.
    """

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.anchors: dict[str, tuple[Any, int, int] | None] = {}
        """An anchor's value, size and height; None while its mapping or list is still open."""
        self.tags: dict[tuple[str, Any], str] = {}
        self.scalars: dict[tuple[str, str], Any] = {}
        self.made = 0
        self.aliased = False

    def build(self) -> Any:
        """The document's value (None for an empty document)."""
        loader = self.loader
        get, check = loader.get_event, loader.check_event
        get()  # stream start
        if check(yaml.StreamEndEvent):
            return None
        get()  # document start
        stack: list[_Open] = []
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        end_event, mapping_start = yaml.CollectionEndEvent, yaml.MappingStartEvent
        while True:
            event = get()
            kind = type(event)
            if kind is scalar_event:
                value, size, height = self._scalar(event), 1, 1
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1, 1)
            elif kind is alias_event:
                value, size, height = self._alias(event)
            elif issubclass(kind, end_event):
                done = stack.pop()
                value, size, height = self._close(done), done.size, done.height
                if done.anchor is not None:
                    self.anchors[done.anchor] = (value, size, height)
            else:
                self._count(1)
                if len(stack) >= MAX_DOCUMENT_DEPTH:
                    raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep")
                is_map = kind is mapping_start
                self._collection_tag(event, is_map)
                frame = _Open({} if is_map else [], event.anchor, event.start_mark)
                if event.anchor is not None:
                    self.anchors[event.anchor] = None
                stack.append(frame)
                continue
            if len(stack) + height > MAX_DOCUMENT_DEPTH:
                raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep")
            if not stack:
                break
            self._add(stack[-1], value, size, height, event)
        if not check(yaml.DocumentEndEvent):
            raise ValueError("holds more than one document")
        get()
        if not check(yaml.StreamEndEvent):
            raise ValueError("holds more than one document")
        return value

    def _count(self, size: int, alias: bool = False) -> None:
        self.made += size
        if self.made > MAX_DOCUMENT_NODES:
            if alias or self.aliased:
                raise ValueError(
                    f"expands to more than {MAX_DOCUMENT_NODES:,} values through its YAML aliases"
                )
            raise ValueError(f"holds more than {MAX_DOCUMENT_NODES:,} values")

    def _add(self, frame: _Open, value: Any, size: int, height: int, event: Any) -> None:
        frame.size += size
        if frame.size > MAX_DOCUMENT_NODES:
            raise ValueError(
                f"expands to more than {MAX_DOCUMENT_NODES:,} values through its YAML aliases"
            )
        if height >= frame.height:
            frame.height = height + 1
        container = frame.value
        if isinstance(container, list):
            container.append(value)
        elif frame.key is _NO_KEY:
            if isinstance(value, dict | list):
                raise yaml.constructor.ConstructorError(
                    "while building a mapping", frame.mark, "found unhashable key", event.start_mark
                )
            frame.key = _MERGE if getattr(event, "tag", None) == _MERGE_TAG else value
        else:
            if frame.key is _MERGE:
                frame.merges.append((value, event.start_mark))
            else:
                container[frame.key] = value
            frame.key = _NO_KEY

    def _close(self, frame: _Open) -> Any:
        value = frame.value
        if not frame.merges:
            return value
        merged: dict[Any, Any] = {}
        for source, mark in frame.merges:
            parts = source if isinstance(source, list) else [source]
            if not all(isinstance(part, dict) for part in parts):
                raise yaml.constructor.ConstructorError(
                    "while building a mapping",
                    frame.mark,
                    "a merge key (<<) needs a mapping or a list of mappings",
                    mark,
                )
            for part in reversed(parts):
                merged.update(part)
        merged.update(value)
        return merged

    def _scalar(self, event: Any) -> Any:
        self._count(1)
        tag = event.tag
        if tag is None or tag == "!":
            key = (event.value, event.implicit)
            tag = self.tags.get(key)
            if tag is None:
                tag = self.tags[key] = self.loader.resolve(
                    yaml.ScalarNode, event.value, event.implicit
                )
        if tag == _TAG + "str":
            return event.value
        if tag == _MERGE_TAG:
            event.tag = _MERGE_TAG  # so that _add knows the key is a merge
            return "<<"
        cached = (tag, event.value)
        if cached in self.scalars:
            return self.scalars[cached]
        if tag not in _PLAIN_TAGS:
            where = tag.removeprefix(_TAG)
            raise yaml.constructor.ConstructorError(
                None, None, f"the tag !{where} is not accepted here", event.start_mark
            )
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            value = self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, TypeError, AttributeError, OverflowError, KeyError):
            if event.tag is None:  # looked like a date (2026-14-12): the field will say why not
                return event.value
            problem = f"this value cannot be read as !!{tag.removeprefix(_TAG)}"
            raise yaml.constructor.ConstructorError(None, None, problem, event.start_mark) from None
        self.scalars[cached] = value
        return value

    def _alias(self, event: Any) -> tuple[Any, int, int]:
        anchor = str(event.anchor)
        if anchor not in self.anchors:
            problem = f"found undefined alias {anchor!r}"
            raise yaml.composer.ComposerError(None, None, problem, event.start_mark)
        found = self.anchors[anchor]
        if found is None:
            raise ValueError("refers to itself (a recursive YAML alias)")
        self.aliased = True
        self._count(found[1], alias=True)
        return found

    def _collection_tag(self, event: Any, is_map: bool) -> None:
        tag = event.tag
        if tag is None or tag == "!" or tag == _TAG + ("map" if is_map else "seq"):
            return
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"the tag !{str(tag).removeprefix(_TAG)} is not accepted here",
            event.start_mark,
        )


_MERGE_TAG = _TAG + "merge"
_MERGE = object()


def locate(
    text: str, wanted: set[tuple[str | int, ...]]
) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Where each ``wanted`` path (of keys and positions) stands in ``text``: (line, column).

    A mapping entry is placed at its key, a list item at its start; a path the text does not
    have is placed at its deepest part that it does have. Reads the events only (no values), and
    gives up quietly on text that does not parse: locations help, they are never required.
    """
    prefixes = {path[:n] for path in wanted for n in range(len(path) + 1)}
    found: dict[tuple[str | int, ...], tuple[int, int]] = {}
    loader = _LOADER(text)
    try:
        stack: list[list[Any]] = []  # [path, is_mapping, next position or pending key, key mark]
        loader.get_event()
        if loader.check_event(yaml.StreamEndEvent):
            return {}
        loader.get_event()
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                if not stack:
                    break
                _next_slot(stack[-1])
                continue
            if isinstance(event, yaml.DocumentEndEvent | yaml.StreamEndEvent):
                break
            if stack and stack[-1][1] and stack[-1][2] is None:  # a key of a mapping
                stack[-1][2] = event.value if isinstance(event, yaml.ScalarEvent) else object()
                stack[-1][3] = event.start_mark
                continue
            path, mark = _slot_path(stack), event.start_mark
            if stack and stack[-1][1]:
                mark = stack[-1][3]
            if path in prefixes:
                found[path] = (mark.line + 1, mark.column + 1)
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                is_map = isinstance(event, yaml.MappingStartEvent)
                stack.append([path, is_map, None if is_map else 0, None])
            elif stack:
                _next_slot(stack[-1])
            else:
                break
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    placed = {}
    for path in wanted:
        for n in range(len(path), -1, -1):
            if path[:n] in found:
                placed[path] = found[path[:n]]
                break
    return placed


def _slot_path(stack: list[list[Any]]) -> tuple[str | int, ...]:
    if not stack:
        return ()
    path, _is_map, slot, _mark = stack[-1]
    return (*path, slot)


def _next_slot(frame: list[Any]) -> None:
    frame[2] = None if frame[1] else frame[2] + 1


def _load_yaml(text: str) -> Any:
    loader = _LOADER(text)
    try:
        return _Builder(loader).build()
    finally:
        loader.dispose()


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
        document = json.loads(text) if fmt == "json" else _load_yaml(text)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep") from None
    except yaml.MarkedYAMLError as error:
        if "nesting depth" in str(error.problem):  # libyaml's own limit, at 1000 levels
            raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep") from None
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"is not valid YAML{where}: {error.problem}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"is not valid YAML: {error}") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"is not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    if fmt == "json" and _depth(document) > MAX_DOCUMENT_DEPTH:
        raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep")
    return document
