"""The engine's compiled build: its event loop's modules as C extensions, when built for this code.

The engine's hot modules (:data:`MODULES`) are mypy-clean, so mypyc compiles them to C
extensions without a change to their source; they then run the same model (every figure the
same, checked when they are built) on 40-50 % less CPU. ``make`` builds them
(``python -m twin.compiled.build``) into the environment's ``share/r2r-compiled/<key>/``, never
beside the sources, and :func:`enable` (called when :mod:`twin` is imported) loads them in place
of their ``.py`` files only when ``<key>``, a digest of every source of ``twin`` and
``stations``, is that of the code being imported: an edited module runs interpreted until the
next build, never from a stale extension. With no build, or with ``R2R_INTERPRETED=1`` in the
environment, the engine runs interpreted, with the same results.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

MODULES = (
    "twin.engine.clock",
    "twin.engine.levels",
    "twin.engine.entities",
    "twin.engine.flow",
    "twin.engine.segment",
    "twin.engine.tool",
    "twin.engine.plant.crews",
    "twin.engine.plant.orders",
    "twin.engine.plant.supply",
    "twin.engine.plant.core",
    "twin.engine.quality.model",
    "twin.engine.quality.records",
)
"""The event loop's modules: the clock, levels, rolls and queues, the fluid, segments and tools,
crews, release and delivery, the plant, and the quality model's records as rolls run (its
evaluation is numpy's work: compiling it gains nothing)."""

INTERPRETED_VARIABLE = "R2R_INTERPRETED"
"""Set to 1 in the environment, the engine runs interpreted even where a build is there."""

MANIFEST = "manifest.json"
"""In a build's folder: which file holds each module, written last (a build without it is
unfinished)."""

UNCHECKED = "unchecked.json"
"""A build's manifest until its figures are checked against the interpreted engine's."""

CHECK_VARIABLE = "R2R_CHECK_BUILD"
"""Set by the build's check: :func:`enable` loads the unchecked build of this code."""

PACKAGES = ("twin", "stations")
"""The packages whose sources the key digests (the compiled modules' types come from them)."""


def sources_root() -> Path:
    """The folder that holds the ``twin`` and ``stations`` packages."""
    return Path(__file__).resolve().parent.parent.parent


def source_key(root: Path | None = None) -> str:
    """A digest of every ``.py`` file of ``twin`` and ``stations`` under ``root``.

    With this interpreter's kind: a build is used only by the code it was built from, by the
    Python it was built for.
    """
    root = sources_root() if root is None else root
    digest = hashlib.sha256(sys.implementation.cache_tag.encode())
    digest.update(importlib.machinery.EXTENSION_SUFFIXES[0].encode())
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def builds_folder() -> Path:
    """Where this environment keeps compiled builds, one folder per key."""
    return Path(sys.prefix) / "share" / "r2r-compiled"


@dataclass(frozen=True)
class Engine:
    """How this process runs the engine: ``compiled`` or not, and why."""

    compiled: bool
    reason: str

    def label(self) -> str:
        """One line for a report: ``compiled (mypyc)`` or ``interpreted (why)``."""
        return "compiled (mypyc)" if self.compiled else f"interpreted ({self.reason})"


class _Finder(MetaPathFinder):
    """Finds the compiled modules (and mypyc's shared library of them) in a build's folder."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """The extension module's spec, for a module the build holds."""
        file = self.files.get(fullname)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


_engine = Engine(False, "not looked for")


def build_files(folder: Path, manifest_name: str = MANIFEST) -> tuple[dict[str, Path], str] | None:
    """The modules a finished build in ``folder`` holds, by name, and mypyc's library's name.

    None if there is no finished build there (or its manifest names a file that is gone).
    """
    manifest = folder / manifest_name
    if not manifest.is_file():
        return None
    try:
        written = json.loads(manifest.read_text())
        files = {str(name): folder / str(file) for name, file in dict(written["files"]).items()}
        library = str(written["library"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    complete = library in files and set(MODULES) <= set(files)
    return (files, library) if complete and all(p.is_file() for p in files.values()) else None


def enable() -> Engine:
    """Load the compiled modules from now on, if a build of this very code is there.

    Called once, when :mod:`twin` is imported, before any engine module is; returns how the
    engine runs (also :func:`engine`).
    """
    global _engine
    if any(isinstance(finder, _Finder) for finder in sys.meta_path):
        return _engine
    if os.environ.get(INTERPRETED_VARIABLE, "") not in ("", "0"):
        _engine = Engine(False, f"{INTERPRETED_VARIABLE} is set")
        return _engine
    loaded = [name for name in MODULES if name in sys.modules]
    if loaded:
        _engine = Engine(False, f"{loaded[0]} was imported before the build could be used")
        return _engine
    try:
        checking = os.environ.get(CHECK_VARIABLE, "") not in ("", "0")
        build = build_files(builds_folder() / source_key(), UNCHECKED if checking else MANIFEST)
    except OSError as error:
        _engine = Engine(False, f"the sources could not be read: {error.strerror}")
        return _engine
    if build is None:
        _engine = Engine(False, "no build of this code: make builds it")
        return _engine
    files, library = build
    finder = _Finder(files)
    sys.meta_path.insert(0, finder)
    try:
        # the compiled code itself (the modules' own files only call into it): if this loads,
        # the build suits this interpreter
        importlib.import_module(library)
    except ImportError as error:
        sys.meta_path.remove(finder)
        _engine = Engine(False, f"the build does not load: {error}")
        return _engine
    _engine = Engine(True, "")
    return _engine


def engine() -> Engine:
    """How this process runs the engine (compiled, or interpreted and why)."""
    return _engine
